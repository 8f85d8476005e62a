/**
 * Test support for outbox-durability.test.ts, run as a child process that the test kills with
 * SIGKILL: writes `k<run>-<i>` forever through an outbox on the SQLite file `argv[2]`, to a
 * "dependency" that is a second SQLite file `argv[3]` (an idempotent `INSERT OR IGNORE`), up for 40
 * writes then down (an open breaker) for 40, while the outbox drains in the background. Prints
 * `ack <key>` once `write()` resolved (applied or queued): stdout to a pipe is synchronous on
 * Linux, so a printed line is an acknowledged write.
 */
import Database from 'better-sqlite3';
import { FailsmallError } from '../../core/errors.js';
import { outbox } from './outbox.js';
import { SqliteOutboxStore } from '../../store/sqlite-outbox.js';

const [, , boxPath, remotePath, run] = process.argv;
const remote = new Database(remotePath!);
remote.pragma('journal_mode = WAL');
remote.pragma('synchronous = FULL');
remote.exec('CREATE TABLE IF NOT EXISTS applied (key TEXT PRIMARY KEY, payload TEXT NOT NULL)');
const insert = remote.prepare('INSERT OR IGNORE INTO applied (key, payload) VALUES (?, ?)');
let i = 0;
const down = (): boolean => Math.floor(i / 40) % 2 === 1;
const store = await SqliteOutboxStore.open({ path: boxPath! });
const box = await outbox({
  store,
  dependency: 'remote',
  rate: 2_000,
  drainInterval: 5,
  apply: async ({ key, payload }) => {
    if (down()) {
      throw new FailsmallError('FS_ERR_BREAKER_OPEN', 'down', { details: { kind: 'overload', neverSent: true } });
    }
    insert.run(key, JSON.stringify(payload));
  },
}).start();
const say = (line: string): void => void process.stdout.write(`${line}\n`);
say('ready');
for (; ; i++) {
  const key = `k${run}-${i}`;
  await box.write({ key, payload: { i, run: run ?? '' } });
  say(`ack ${key}`);
  if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve)); // let the drain run
}
