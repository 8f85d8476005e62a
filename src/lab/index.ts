/**
 * `failsmall/lab`: the replayed region of 2025-10-20 and its pieces: the table service (DynamoDB JSON
 * 1.0 subset on several loopback addresses), the scenario format, the open-loop load generator, the
 * timelines and summary, the HTML report, and `runReplay` that composes them. The replay's client
 * groups load the AWS SDK and cacheable-lookup (devDependencies) with dynamic imports.
 */
export { Capacity } from './capacity.js';
export type { CapacityOptions, CapacitySnapshot } from './capacity.js';
export { startTableService, groupHeader, requestHeader } from './table-service.js';
export type {
  AttributeValue,
  NodeLoad,
  OverloadAnswer,
  TableService,
  TableServiceOptions,
  TableServiceSnapshot,
} from './table-service.js';
export { tagCommand } from './sdk-tag.js';
export type { AttemptTag, TaggableCommand } from './sdk-tag.js';
export {
  defaultScenario,
  effectiveTtlS,
  formatDuration,
  loadScenarioFile,
  parseDuration,
  parseScenario,
  phaseAt,
  phaseKinds,
  phaseOf,
  realDurationMs,
  scenarioFileSchema,
  wireTtl,
  withOverrides,
} from './scenario.js';
export type { Phase, PhaseKind, Scenario, ScenarioFile, ScenarioOverrides } from './scenario.js';
export { defaultScenarioName, defaultScenarioYaml } from './default-scenario.js';
export { runLoad } from './load.js';
export type { GroupFunction, LoadOptions, LoadResult, Outcome, RequestContext } from './load.js';
export {
  buildTimeline,
  emptyWindow,
  minBucketRequests,
  percentile,
  recovery,
  recoveredSuccess,
  summarize,
} from './timeline.js';
export type { GroupSeries, GroupSummary, Sample, Timeline, TimelineInput } from './timeline.js';
export { chartJs, renderReport } from './report.js';
export type { PlanOutcome, ReportData } from './report.js';
export { endpointRecordSet, startRegion, twinName } from './region.js';
export type { Region } from './region.js';
export { baselineGroup, failsmallGroup, groupNames } from './groups.js';
export type { ClientGroup, GroupName, GroupOptions } from './groups.js';
export { runReplay } from './replay.js';
export type { ReplayOptions, ReplayProgress, ReplayResult, ReplaySummary } from './replay.js';
export { formatProgress, formatSummary } from './format.js';
