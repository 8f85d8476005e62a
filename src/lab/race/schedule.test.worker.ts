/**
 * Explores schedules of the race model with fast-check: run in a worker thread by
 * schedule.property.test.ts (outside the test runner, whose per-promise bookkeeping makes this
 * promise-heavy model about three times slower), and called by the `plan-race` benchmark. Never
 * imported by the library (and not shipped: `*.test.*`).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { CHOICE_MAX, runSchedule } from './schedule.js';

/** What the worker is asked. */
export interface ExploreRequest {
  readonly mode: 'legacy' | 'safe';
  readonly runs: number;
  readonly seed: number;
  /** `emptied` (the property: never empty) or `all` (every invariant). */
  readonly property: 'emptied' | 'stuck' | 'all';
}

/** What the worker answers. */
export interface ExploreResult {
  readonly explored: number;
  readonly steps: number;
  readonly crashes: number;
  /** Schedules (shrinking included) that emptied the record set, applied an older generation, got stuck. */
  readonly emptied: number;
  readonly older: number;
  readonly stuck: number;
  readonly failed: boolean;
  readonly numRuns: number;
  readonly numShrinks: number;
  readonly counterexample: { choices: number[]; seed: number } | null;
  readonly seconds: number;
}

/** Schedules as fast-check draws them: the scheduler's choices and the world's seed. */
export const schedules = fc.record({
  choices: fc.array(fc.nat({ max: CHOICE_MAX }), { maxLength: 90 }),
  seed: fc.nat({ max: 1_000_000 }),
});

/** Explores `request.runs` schedules (safe mode with bad plans among them), shrinking a failure. */
export async function exploreSchedules(request: ExploreRequest): Promise<ExploreResult> {
  let explored = 0;
  let steps = 0;
  let crashes = 0;
  const broken = { emptied: 0, older: 0, stuck: 0 };
  const started = performance.now();
  const result = await fc.check(
    fc.asyncProperty(schedules, async ({ choices, seed }) => {
      const outcome = await runSchedule({ mode: request.mode, choices, seed, badPlans: request.mode === 'safe' });
      explored++;
      steps += outcome.steps;
      crashes += outcome.crashes;
      if (outcome.emptied) broken.emptied++;
      if (outcome.olderGeneration) broken.older++;
      if (outcome.stuck) broken.stuck++;
      if (request.property === 'emptied') return !outcome.emptied;
      if (request.property === 'stuck') return !outcome.stuck;
      return outcome.violations.length === 0;
    }),
    { numRuns: request.runs, seed: request.seed },
  );
  return {
    explored,
    steps,
    crashes,
    ...broken,
    failed: result.failed,
    numRuns: result.numRuns,
    numShrinks: result.numShrinks,
    counterexample: result.counterexample?.[0] ?? null,
    seconds: (performance.now() - started) / 1000,
  };
}

// In a worker thread (the property test's): explore what it was asked and answer.
if (!isMainThread) parentPort?.postMessage(await exploreSchedules(workerData as ExploreRequest));
