/**
 * `failsmall/lab`: the replayed region of 2025-10-20 and its pieces: the table service (DynamoDB JSON
 * 1.0 subset on several loopback addresses), the scenario format, the open-loop load generator, the
 * timelines and summary, the HTML report, the race model of the day's DNS enactors (the 2025-10-20
 * `LegacyEnactor` beside the fenced one), and `runReplay` that composes them. The replay's client
 * groups load the AWS SDK, @smithy/node-http-handler and cacheable-lookup (optional peers) on first
 * use, with chart.js for the report (`checkReplayPeers`: one error naming every missing package).
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
export { LegacyEnactor, ACTIVE_MISSING } from './race/legacy-enactor.js';
export type { LegacyEnactorOptions } from './race/legacy-enactor.js';
export { runWorld } from './race/world.js';
export type { RaceMode, ScheduleOutcome, WorldOptions } from './race/world.js';
export { InvariantMonitor } from './race/monitor.js';
export type { MonitoredEndpoint, Violation } from './race/monitor.js';
export { probeStuck } from './race/stuck-probe.js';
export type { StuckProbeResult } from './race/stuck-probe.js';
export { describeAddresses, describeDecision, RaceTrace } from './race/trace.js';
export type { RaceLine } from './race/trace.js';
export { runSchedule, planContents, ROLES, CRASH_ABOVE, CHOICE_MAX } from './race/schedule.js';
export type { ScheduleOptions } from './race/schedule.js';
export { runRace } from './race/race.js';
export type { RaceOptions, RaceTiming } from './race/race.js';
export { checkReplayPeers } from './peer-check.js';
export { runHealthLink, capacityFigures, maxWithinWindow } from './health-link.js';
export type { HealthGroupSummary, HealthLinkOptions, HealthLinkResult } from './health-link.js';
export { NlbAutomation } from './nlb-automation.js';
export type { NlbAutomationOptions } from './nlb-automation.js';
export { formatHealthSummary, healthSection, healthSummary } from './health-report.js';
export type { HealthLinkSummary } from './health-report.js';
export { runLeaseLink } from './lease-link.js';
export type { LeaseGroupSummary, LeaseLinkOptions, LeaseLinkResult } from './lease-link.js';
export { formatLeaseSummary, leaseSection, leaseSummary } from './lease-report.js';
export type { LeaseLinkSummary } from './lease-report.js';
export { LeaseManager, lowerBoundMs } from './lease-manager.js';
export type { LeaseAnswer, LeaseManagerOptions, LeaseManagerSnapshot } from './lease-manager.js';
