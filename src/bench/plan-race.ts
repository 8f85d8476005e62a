/**
 * `npm run bench -- plan-race [runs]`: explores interleavings of the planner, three enactors (delays,
 * crashes, restarts) and clean-up with fast-check through the deterministic scheduler. Legacy mode:
 * how many schedules until the record set is emptied, and the shrunk counterexample. Safe mode: how
 * many schedules explored (default 100,000) and whether any invariant broke (empty record set, older
 * generation, stuck). Prints a table, then one JSON line.
 */
import { printTable } from './harness.js';
import { runSchedule } from '../lab/race/schedule.js';
import { exploreSchedules } from '../lab/race/schedule.test.worker.js';

const runs = Number(process.argv[3] ?? 100_000);

// Legacy: find the empty record set.
const legacy = await exploreSchedules({ mode: 'legacy', runs: 100_000, seed: 20251020, property: 'emptied' });
const counterexample = legacy.counterexample ?? undefined;
if (counterexample !== undefined) {
  const replay = await runSchedule({ mode: 'legacy', ...counterexample, trace: true });
  console.log(
    `legacy counterexample (shrunk): choices [${counterexample.choices.join(', ')}], seed ${counterexample.seed}`,
  );
  for (const l of replay.lines) console.log(`  t=${String(l.at).padStart(4)} ${l.actor.padEnd(12)} ${l.text}`);
}

// Safe: explore, count, check every invariant.
const safe = await exploreSchedules({ mode: 'safe', runs, seed: 42, property: 'all' });
const { explored, steps, crashes, emptied, older, stuck } = safe;
const safeMs = safe.seconds * 1000;

printTable('plan race: explored schedules (planner + 3 enactors + clean-up, crashes and restarts)', [
  [
    'legacy: schedules until empty',
    legacy.failed ? `${legacy.numRuns} (${legacy.numShrinks} shrinks)` : `none in ${legacy.explored}`,
  ],
  ['legacy: counterexample length', counterexample === undefined ? '-' : `${counterexample.choices.length} choices`],
  ['legacy: time', `${legacy.seconds.toFixed(1)} s`],
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
