/**
 * Test support for durability.test.ts, run as a child process that the test kills with SIGKILL: opens
 * the SQLite store at `argv[2]` and applies plans forever (publish, journal, move the active pointer
 * forward, journal), printing one line after each write has committed: `plan G`, `journal S`,
 * `active G`. stdout to a pipe is synchronous on Linux, so a printed line means an acknowledged write.
 */
import { SqlitePlanStore } from './sqlite-store.js';

const TARGET = 'api.example.com/A';
const store = await SqlitePlanStore.open({ path: process.argv[2]! });
const say = (line: string): void => void process.stdout.write(`${line}\n`);
say('ready');
for (let i = 0; ; i++) {
  const at = Date.now();
  const records = [{ address: `10.0.${(i >> 8) & 255}.${i & 255}`, weight: 1 + (i % 100) }];
  const plan = await store.createPlan(
    TARGET,
    { zone: 'example.com', name: 'api.example.com', records },
    { at, by: 'child' },
  );
  say(`plan ${plan.generation}`);
  const created = await store.appendJournal({
    target: TARGET,
    generation: plan.generation,
    actor: 'child',
    decision: 'created',
    reason: 'ok',
    at,
  });
  say(`journal ${created.seq}`);
  const set = await store.setActive(TARGET, { generation: plan.generation, at, by: 'child' }, { onlyForward: true });
  if (set.ok) say(`active ${plan.generation}`);
  const applied = await store.appendJournal({
    target: TARGET,
    generation: plan.generation,
    actor: 'child',
    decision: 'applied',
    reason: 'fenced',
    at,
  });
  say(`journal ${applied.seq}`);
}
