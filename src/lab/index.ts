/**
 * `failsmall/lab`: the replayed region of 2025-10-20 and its pieces: the table service (DynamoDB JSON
 * 1.0 subset on several loopback addresses), the scenario format, the open-loop load generator, the
 * timelines and summary, the HTML report, the race model of the day's DNS enactors (the 2025-10-20
 * `LegacyEnactor` beside the fenced one), and `runReplay` that composes them. The replay's client
 * groups load the AWS SDK, @smithy/node-http-handler and cacheable-lookup (optional peers) on first
 * use, with chart.js for the report (`checkReplayPeers`: one error naming every missing package).
 */
export * from './capacity.js';
export * from './table-service.js';
export * from './sdk-tag.js';
export * from './scenario.js';
export * from './default-scenario.js';
export * from './load.js';
export * from './timeline.js';
export * from './report.js';
export * from './region.js';
export { baselineGroup, failsmallGroup, groupNames } from './groups.js';
export type { ClientGroup, GroupName, GroupOptions } from './groups.js';
export * from './replay.js';
export * from './status-feed.js';
export * from './format.js';
export * from './race/legacy-enactor.js';
export * from './race/world.js';
export * from './race/monitor.js';
export * from './race/stuck-probe.js';
export * from './race/trace.js';
export * from './race/schedule.js';
export * from './race/race.js';
export * from './peer-check.js';
export * from './health-link.js';
export * from './nlb-automation.js';
export * from './health-report.js';
// the region-loss scenario (`failsmall replay --scenario region-loss`)
export * from './region-loss/scenario.js';
export * from './region-loss/embedded.js';
export * from './region-loss/run.js';
export * from './region-loss/format.js';
export * from './region-loss/world.js';
// the replay's second link, the lease manager
export * from './lease-link.js';
export * from './lease-report.js';
export * from './lease-manager.js';
