/**
 * Drills: experiments in Chaos Toolkit's format run against failsmall's chaos lab and the services
 * under test, measuring time to detect, RTO and writes lost, for a failover and its failback.
 */
export { parseExperiment, loadExperimentFile } from './experiment.js';
export type {
  Activity,
  ConfigValue,
  Experiment,
  FailsmallProvider,
  HttpProvider,
  ProcessProvider,
  Provider,
  ServiceSpec,
  Tolerance,
} from './experiment.js';
export { funcNames, runFunc, httpCall, substitute, checkFuncArguments, toxiproxyDefaultApi } from './funcs.js';
export type { FuncContext, FuncName, HttpAnswer } from './funcs.js';
export { withinTolerance, jsonPath } from './tolerance.js';
export type { ToleranceResult } from './tolerance.js';
export { measureRecovery, writesLost } from './measure.js';
export type { AckedWrite, Recovery, Sample } from './measure.js';
export { MemoryJournal, SqliteJournal } from './journal.js';
export type { DrillJournal, Phase, Step } from './journal.js';
export { ServiceManager } from './services.js';
export { runProvider } from './providers.js';
export type { RunProviderOptions } from './providers.js';
export { envConfigValue, runDrill, freeLoopbackPort } from './runner.js';
export type { ActivityOutcome, DrillOptions, DrillResult, DrillRun, Invoke, RecoveryReport } from './runner.js';
export { renderDrillReport } from './report.js';
