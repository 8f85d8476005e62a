/**
 * `npm run bench -- plan-race [runs]`: explores interleavings of the planner, three enactors (delays,
 * crashes, restarts) and clean-up with fast-check through the deterministic scheduler. Legacy mode:
 * how many schedules until the record set is emptied, and the shrunk counterexample. Safe mode: how
 * many schedules explored (default 100,000) and whether any invariant broke (empty record set, older
 * generation, stuck). Prints a table, then one JSON line.
 */
import fc from 'fast-check';
import { printTable } from './harness.js';
import { CHOICE_MAX, runSchedule } from '../lab/race/schedule.js';

const runs = Number(process.argv[3] ?? 100_000);
const schedule = fc.record({
  choices: fc.array(fc.nat({ max: CHOICE_MAX }), { maxLength: 90 }),
  seed: fc.nat({ max: 1_000_000 }),
});

// Legacy: find the empty record set.
let legacyExplored = 0;
const legacyStart = performance.now();
const legacy = await fc.check(
  fc.asyncProperty(schedule, async ({ choices, seed }) => {
    legacyExplored++;
    return !(await runSchedule({ mode: 'legacy', choices, seed })).emptied;
  }),
  { numRuns: 100_000, seed: 20251020 },
);
const legacyMs = performance.now() - legacyStart;
const counterexample = legacy.counterexample?.[0];
if (counterexample !== undefined) {
  const replay = await runSchedule({ mode: 'legacy', ...counterexample, trace: true });
  console.log(
    `legacy counterexample (shrunk): choices [${counterexample.choices.join(', ')}], seed ${counterexample.seed}`,
  );
  for (const l of replay.lines) console.log(`  t=${String(l.at).padStart(4)} ${l.actor.padEnd(12)} ${l.text}`);
}

// Safe: explore, count, check every invariant.
let explored = 0;
let steps = 0;
let crashes = 0;
let emptied = 0;
let older = 0;
let stuck = 0;
const safeStart = performance.now();
const safe = await fc.check(
  fc.asyncProperty(schedule, async ({ choices, seed }) => {
    const outcome = await runSchedule({ mode: 'safe', choices, seed, badPlans: true });
    explored++;
    steps += outcome.steps;
    crashes += outcome.crashes;
    if (outcome.emptied) emptied++;
    if (outcome.olderGeneration) older++;
    if (outcome.stuck) stuck++;
    return outcome.violations.length === 0;
  }),
  { numRuns: runs, seed: 42 },
);
const safeMs = performance.now() - safeStart;

printTable('plan race: explored schedules (planner + 3 enactors + clean-up, crashes and restarts)', [
  [
    'legacy: schedules until empty',
    legacy.failed ? `${legacy.numRuns} (${legacy.numShrinks} shrinks)` : `none in ${legacyExplored}`,
  ],
  ['legacy: counterexample length', counterexample === undefined ? '-' : `${counterexample.choices.length} choices`],
  ['legacy: time', `${(legacyMs / 1000).toFixed(1)} s`],
  ['safe: schedules explored', explored.toLocaleString('en')],
  ['safe: steps / crashes', `${steps.toLocaleString('en')} / ${crashes.toLocaleString('en')}`],
  ['safe: emptied / older / stuck', `${emptied} / ${older} / ${stuck}`],
  [
    'safe: time',
    `${(safeMs / 1000).toFixed(1)} s (${((safeMs * 1000) / Math.max(1, explored)).toFixed(0)} µs per schedule)`,
  ],
]);
console.log(
  JSON.stringify({
    bench: 'plan-race',
    legacy_found_empty: legacy.failed,
    legacy_schedules_to_empty: legacy.failed ? legacy.numRuns : null,
    legacy_counterexample: counterexample ?? null,
    safe_schedules: explored,
    safe_steps: steps,
    safe_crashes: crashes,
    safe_violations: emptied + older + stuck,
    safe_passed: !safe.failed,
    safe_seconds: Number((safeMs / 1000).toFixed(2)),
  }),
);
