/**
 * Test support, run in a worker thread by race.property.test.ts: explores schedules with fast-check
 * outside the test runner, whose per-promise bookkeeping makes this promise-heavy model about three
 * times slower. Never imported by the library (and not shipped: `*.test.*`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { CHOICE_MAX, runSchedule } from './race.js';

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
  readonly failed: boolean;
  readonly numRuns: number;
  readonly numShrinks: number;
  readonly counterexample: { choices: number[]; seed: number } | null;
  readonly seconds: number;
}

const request = workerData as ExploreRequest;
const schedule = fc.record({
  choices: fc.array(fc.nat({ max: CHOICE_MAX }), { maxLength: 90 }),
  seed: fc.nat({ max: 1_000_000 }),
});
let explored = 0;
let steps = 0;
let crashes = 0;
const started = performance.now();
const result = await fc.check(
  fc.asyncProperty(schedule, async ({ choices, seed }) => {
    const outcome = await runSchedule({ mode: request.mode, choices, seed, badPlans: request.mode === 'safe' });
    explored++;
    steps += outcome.steps;
    crashes += outcome.crashes;
    if (request.property === 'emptied') return !outcome.emptied;
    if (request.property === 'stuck') return !outcome.stuck;
    return outcome.violations.length === 0;
  }),
  { numRuns: request.runs, seed: request.seed },
);
const answer: ExploreResult = {
  explored,
  steps,
  crashes,
  failed: result.failed,
  numRuns: result.numRuns,
  numShrinks: result.numShrinks,
  counterexample: result.counterexample?.[0] ?? null,
  seconds: (performance.now() - started) / 1000,
};
parentPort?.postMessage(answer);
