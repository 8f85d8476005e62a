/**
 * `failsmall/status`: the status page service. Components by business process, incidents with
 * their update cadence, scheduled maintenance, Statuspage-compatible JSON, an Atom feed, webhooks;
 * stored in SQLite (default) or PostgreSQL (a replicated page).
 */
export { MemoryBackend } from './backend.js';
export type { Doc, DocumentKind, DocumentTx, StatusBackend } from './backend.js';
export { cadence, cadenceStatus, nextUpdateDue } from './cadence.js';
export type { Cadence, CadenceOptions, CadenceState, CadenceStatus } from './cadence.js';
export { StatusErrorCodes } from './error-codes.js';
export { escapeHtml } from './html.js';
export { parseInput } from './input.js';
export type { FieldError, InputKind } from './input.js';
export { componentStatuses, incidentImpacts, incidentStatuses, maintenanceStatuses } from './model.js';
export type {
  AffectedComponent,
  Component,
  ComponentChange,
  ComponentEvent,
  ComponentInput,
  ComponentStatus,
  Incident,
  IncidentImpact,
  IncidentInput,
  IncidentStatus,
  IncidentUpdate,
  IncidentUpdateInput,
  Maintenance,
  MaintenanceInput,
  MaintenanceStatus,
  Subscriber,
} from './model.js';
export { openStatusStore } from './open.js';
export { PostgresBackend } from './postgres-backend.js';
export type { PostgresBackendOptions } from './postgres-backend.js';
export { WriteRateLimit } from './rate-limit.js';
export type { WriteRateLimitOptions } from './rate-limit.js';
export { startStatusServer } from './server.js';
export type { StatusServer, StatusServerOptions } from './server.js';
export { StatusService } from './service.js';
export type { CachedDocument, CadenceReminder, StatusServiceOptions } from './service.js';
export { SqliteBackend } from './sqlite-backend.js';
export type { SqliteBackendOptions } from './sqlite-backend.js';
export { overallStatus, statuspageDocuments } from './statuspage-json.js';
export type { PageInfo, PageState, StatuspagePath } from './statuspage-json.js';
export { createStatusStore } from './store.js';
export type { IncidentQuery, StatusStore } from './store.js';
export { uptimeBar } from './uptime.js';
export type { UptimeDay } from './uptime.js';
