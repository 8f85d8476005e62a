export { ChaosErrorCodes } from './error-codes.js';
export { startFaultDnsServer, isLoopback } from './fault-dns-server.js';
export type { FaultDnsServer, FaultDnsServerOptions } from './fault-dns-server.js';
export { ZoneStore } from './zone-store.js';
export type { ZoneSummary, ZoneContents, ZoneChangeEvent, Resolution } from './zone-store.js';
export {
  recordTypes,
  normalizeName,
  inZone,
  parseSoa,
  checkValue,
  recordSetSchema,
  changeSchema,
  changeBatchSchema,
  zoneDefinitionSchema,
  zoneFileSchema,
  maxRecordsPerSet,
  maxChangesPerBatch,
  maxTxtBytes,
  formatIssues,
} from './zone-schema.js';
export type {
  RecordType,
  RecordValue,
  RecordSet,
  Change,
  ChangeBatch,
  ZoneDefinition,
  SoaData,
} from './zone-schema.js';
export { parseZoneText, loadZoneFile, defaultZoneTtl } from './zone-file.js';
export {
  FaultEngine,
  faultActions,
  faultTypes,
  faultRuleSchema,
  parseFaultRule,
  ruleActive,
  ruleMatches,
  decideFault,
  faultDelay,
  randomAddress,
  parseCidr,
} from './fault-rules.js';
export type {
  FaultAction,
  FaultRule,
  FaultRuleInput,
  FaultQuery,
  FaultChangeEvent,
  FaultEngineOptions,
} from './fault-rules.js';
export { matchName, normalizePattern, isExactPattern } from './name-pattern.js';
export { weightedOrder, isWeighted } from './weighted.js';
export { DnsResponder, malformedName, invalidName } from './responder.js';
export type { DnsResponderOptions } from './responder.js';
export { DnsServer } from './dns-server.js';
export type { DnsServerOptions } from './dns-server.js';
export { ControlApi, faultRuleToJson } from './control-api.js';
export type { ControlApiOptions, FaultRuleJson } from './control-api.js';
export { DnsMetrics } from './dns-metrics.js';
export type { DnsMetricsOptions, DnsMetricsSnapshot, NameRate } from './dns-metrics.js';
export { QueryLog, droppedRcode } from './query-log.js';
export type { QueryLogEntry } from './query-log.js';
export { AuditLog, describeAuditEntry, describeRule } from './audit-log.js';
export type { AuditEntry } from './audit-log.js';
export { QueryParser, ParseStatus, Rcode, rcodeNames, typeNumbers, typeName } from './wire.js';
export { probe, probeRaw, probeQuery, decodeReply } from './probe.js';
export type { ProbeOptions, DecodedReply } from './probe.js';
export * from './proxy/index.js';
