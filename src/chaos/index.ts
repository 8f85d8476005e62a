export * from './error-codes.js';
export * from './fault-dns-server.js';
export * from './zone-store.js';
export {
  recordTypes,
  normalizeName,
  inZone,
  parseSoa,
  checkValue,
  zoneSchemas,
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
  ZoneSchemas,
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
  faultRuleToJson,
} from './fault-rules.js';
export type {
  FaultAction,
  FaultRule,
  FaultRuleInput,
  FaultQuery,
  FaultChangeEvent,
  FaultEngineOptions,
  FaultRuleJson,
} from './fault-rules.js';
export { matchName, normalizePattern, isExactPattern } from './name-pattern.js';
export * from './weighted.js';
export * from './responder.js';
export * from './dns-server.js';
export { ControlApi } from './control-api.js';
export type { ControlApiOptions } from './control-api.js';
export * from './dns-metrics.js';
export * from './query-log.js';
export * from './audit-log.js';
export { QueryParser, ParseStatus, Rcode, rcodeNames, typeNumbers, typeName } from './wire.js';
export * from './probe.js';
export * from './proxy/index.js';
