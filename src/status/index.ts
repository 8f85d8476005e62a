/**
 * `failsmall/status`: the status page service. Components by business process, incidents with
 * their update cadence, scheduled maintenance, Statuspage-compatible JSON, an Atom feed, webhooks;
 * stored in SQLite (default) or PostgreSQL (a replicated page).
 */
export { MemoryBackend } from './backend.js';
export type { Doc, DocumentKind, DocumentTx, StatusBackend } from './backend.js';
export * from './cadence.js';
export { StatusErrorCodes } from './error-codes.js';
export { escapeHtml } from './html.js';
export { parseInput } from './input.js';
export type { FieldError, InputKind } from './input.js';
export * from './model.js';
export * from './open.js';
export * from './postgres-backend.js';
export { WriteRateLimit } from './rate-limit.js';
export type { WriteRateLimitOptions } from './rate-limit.js';
export * from './server.js';
export * from './service.js';
export * from './sqlite-backend.js';
export { overallStatus, statuspageDocuments } from './statuspage-json.js';
export type { PageInfo, PageState, StatuspagePath } from './statuspage-json.js';
export { createStatusStore } from './store.js';
export type { IncidentQuery, StatusStore } from './store.js';
export { uptimeBar } from './uptime.js';
export type { UptimeDay } from './uptime.js';
export { buildDependencyMap, bucketQuantile, incidentIntervals, mttr } from './dependency-map.js';
export type {
  DependencyMap,
  DependencyMapInput,
  Interval,
  MapEdge,
  MapNode,
  MapSystem,
  MttrStats,
} from './dependency-map.js';
export { renderDependencySvg } from './map-svg.js';
export { StatusReporter, reporterChannels } from './reporter.js';
export type { ReporterChannel, ReporterSnapshot, StatusReporterOptions } from './reporter.js';
export type { ReportResult } from './report-store.js';
export { suggestionWords } from './suggestion-words.js';
export type { SuggestedWords, SuggestionFacts } from './suggestion-words.js';
