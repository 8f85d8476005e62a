/**
 * The proof: model-based property tests over interleavings of the planner, three enactors (with
 * delays, crashes and restarts) and clean-up, explored by fast-check through the deterministic
 * scheduler. Legacy mode must find the empty record set; safe mode must hold every invariant over
 * SAFE_RUNS (100,000) explored schedules. `npm run bench -- plan-race` explores and prints too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CHOICE_MAX, runSchedule, type ScheduleOutcome } from './race.js';

/** Schedules explored in safe mode by `npm test`. */
const SAFE_RUNS = Number(process.env.FAILSMALL_PLAN_RUNS ?? 100_000);

const schedule = fc.record({
  choices: fc.array(fc.nat({ max: CHOICE_MAX }), { maxLength: 90 }),
  seed: fc.nat({ max: 1_000_000 }),
});

/** Prints a counterexample as the interleaving it replays. */
async function explain(mode: 'legacy' | 'safe', choices: number[], seed: number): Promise<ScheduleOutcome> {
  const outcome = await runSchedule({ mode, choices, seed, trace: true });
  console.log(`  shrunk schedule (${choices.length} choices, seed ${seed}): [${choices.join(', ')}]`);
  for (const l of outcome.lines) console.log(`    t=${String(l.at).padStart(4)} ${l.actor.padEnd(12)} ${l.text}`);
  return outcome;
}

describe('plan race, explored (fast-check)', () => {
  it('legacy mode: finds a schedule that empties the record set, and one that leaves it stuck', async () => {
    const found = await fc.check(
      fc.asyncProperty(
        schedule,
        async ({ choices, seed }) => !(await runSchedule({ mode: 'legacy', choices, seed })).emptied,
      ),
      { numRuns: 20_000, seed: 20251020 },
    );
    assert.equal(found.failed, true, 'legacy mode never emptied the record set');
    const [{ choices, seed }] = found.counterexample!;
    console.log(`legacy: emptied record set found after ${found.numRuns} schedules, shrunk ${found.numShrinks} times`);
    const outcome = await explain('legacy', choices, seed);
    assert.equal(outcome.emptied, true);

    const stuck = await fc.check(
      fc.asyncProperty(
        schedule,
        async ({ choices, seed }) => !(await runSchedule({ mode: 'legacy', choices, seed })).stuck,
      ),
      { numRuns: 20_000, seed: 20251020 },
    );
    assert.equal(stuck.failed, true, 'legacy mode never got stuck');
    console.log(`legacy: stuck state found after ${stuck.numRuns} schedules`);
    const [c] = stuck.counterexample!;
    assert.equal((await runSchedule({ mode: 'legacy', ...c })).stuck, true);
  });

  it(`safe mode: ${SAFE_RUNS.toLocaleString('en')} schedules, never empty, never older, never stuck`, async () => {
    let explored = 0;
    let steps = 0;
    let crashes = 0;
    const started = performance.now();
    const result = await fc.check(
      fc.asyncProperty(schedule, async ({ choices, seed }) => {
        const outcome = await runSchedule({ mode: 'safe', choices, seed, badPlans: true });
        explored++;
        steps += outcome.steps;
        crashes += outcome.crashes;
        return outcome.violations.length === 0;
      }),
      { numRuns: SAFE_RUNS, seed: 42 },
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `safe: ${explored.toLocaleString('en')} schedules explored (${steps.toLocaleString('en')} steps, ` +
        `${crashes.toLocaleString('en')} crashes) in ${seconds.toFixed(1)} s, no violation: ${!result.failed}`,
    );
    if (result.failed) {
      const [{ choices, seed }] = result.counterexample!;
      const outcome = await explain('safe', choices, seed);
      assert.deepEqual(outcome.violations, []);
    }
    assert.equal(result.failed, false);
    assert.ok(explored >= SAFE_RUNS);
  });
});
