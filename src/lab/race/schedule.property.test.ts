/**
 * The proof: model-based property tests over interleavings of the planner, three enactors (with
 * delays, crashes and restarts) and clean-up, explored by fast-check through the deterministic
 * scheduler (see schedule.test.worker.ts, which runs the exploration in a worker thread, away from the
 * test runner's overhead). Legacy mode must find the empty record set and the stuck state; safe mode
 * must hold every invariant over SAFE_RUNS (100,000) explored schedules. `npm run bench -- plan-race`
 * explores and prints too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { runSchedule } from './schedule.js';
import type { ExploreRequest, ExploreResult } from './schedule.test.worker.js';

/** Schedules explored in safe mode by `npm test` (FAILSMALL_PLAN_RUNS overrides, for quick local runs). */
const SAFE_RUNS = Number(process.env.FAILSMALL_PLAN_RUNS ?? 100_000);

function explore(request: ExploreRequest): Promise<ExploreResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./schedule.test.worker.js', import.meta.url), { workerData: request });
    worker.once('message', (result: ExploreResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`the explorer exited with ${code}`)));
  });
}

/** Prints a counterexample as the interleaving it replays. */
async function explain(mode: 'legacy' | 'safe', example: { choices: number[]; seed: number }): Promise<void> {
  const outcome = await runSchedule({ mode, ...example, badPlans: mode === 'safe', trace: true });
  console.log(`  shrunk schedule: choices [${example.choices.join(', ')}], seed ${example.seed}`);
  for (const l of outcome.lines) console.log(`    t=${String(l.at).padStart(4)} ${l.actor.padEnd(12)} ${l.text}`);
}

describe('plan race, explored (fast-check)', () => {
  it('legacy mode: finds a schedule that empties the record set, and one that leaves it stuck', async () => {
    const [emptied, stuck] = await Promise.all([
      explore({ mode: 'legacy', runs: 20_000, seed: 20251020, property: 'emptied' }),
      explore({ mode: 'legacy', runs: 20_000, seed: 20251020, property: 'stuck' }),
    ]);
    assert.equal(emptied.failed, true, 'legacy mode never emptied the record set');
    console.log(
      `legacy: emptied record set found after ${emptied.numRuns} schedules, shrunk ${emptied.numShrinks} times`,
    );
    await explain('legacy', emptied.counterexample!);
    assert.equal((await runSchedule({ mode: 'legacy', ...emptied.counterexample! })).emptied, true, 'replays');
    assert.equal(stuck.failed, true, 'legacy mode never got stuck');
    console.log(
      `legacy: stuck state found after ${stuck.numRuns} schedules: [${stuck.counterexample!.choices.join(', ')}]`,
    );
    assert.equal((await runSchedule({ mode: 'legacy', ...stuck.counterexample! })).stuck, true, 'replays');
  });

  it(`safe mode: ${SAFE_RUNS.toLocaleString('en')} schedules, never empty, never older, never stuck`, async () => {
    const result = await explore({ mode: 'safe', runs: SAFE_RUNS, seed: 42, property: 'all' });
    console.log(
      `safe: ${result.explored.toLocaleString('en')} schedules explored (${result.steps.toLocaleString('en')} steps, ` +
        `${result.crashes.toLocaleString('en')} crashes) in ${result.seconds.toFixed(1)} s, violations: ${result.failed ? 'FOUND' : 'none'}`,
    );
    if (result.failed) await explain('safe', result.counterexample!);
    assert.equal(result.failed, false);
    assert.ok(result.explored >= SAFE_RUNS);
  });
});
