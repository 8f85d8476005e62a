import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { raceOnLoopback, type RaceReport } from './plan.js';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const run = promisify(execFile);

describe('failsmall plan race (against the fault DNS server on loopback)', () => {
  it('--mode legacy --json: the DNS server ends up answering no address, and the system is stuck', async () => {
    const { stdout } = await run(process.execPath, [main, 'plan', 'race', '--mode', 'legacy', '--json'], {
      timeout: 60_000,
    });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one JSON object');
    const report = JSON.parse(lines[0]!) as RaceReport;
    assert.equal(report.mode, 'legacy');
    assert.deepEqual(report.final_addresses, []);
    assert.equal(report.final_rcode, 'NOERROR');
    assert.equal(report.emptied, true);
    assert.equal(report.stuck, true);
    assert.ok(report.interleaving.some((l) => l.text.includes('deleted the ACTIVE plan')));
  });

  it('safe mode: every address is answered, nothing emptied, nothing stuck; a SQLite store works too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failsmall-cli-plan-'));
    try {
      const report = await raceOnLoopback({ mode: 'safe', seed: 3, store: `sqlite:${join(dir, 'plans.db')}` });
      assert.deepEqual(report.final_addresses, ['192.0.2.10', '192.0.2.11', '192.0.2.12']);
      assert.deepEqual([report.emptied, report.stuck, report.older_generation], [false, false, false]);
      assert.equal(report.final_generation, report.latest_generation);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('legacy with --nxdomain: the name is gone', async () => {
    const report = await raceOnLoopback({ mode: 'legacy', seed: 2, removal: 'nxdomain' });
    assert.equal(report.final_rcode, 'NXDOMAIN');
    assert.deepEqual(report.final_addresses, []);
  });

  it('rejects a bad mode or seed with a clear message and exit code 2 (bad usage)', async () => {
    await assert.rejects(
      run(process.execPath, [main, 'plan', 'race', '--mode', 'fast'], { timeout: 30_000 }),
      (e: { code?: number; stderr?: string }) => e.code === 2 && /expected legacy or safe/.test(e.stderr ?? ''),
    );
    await assert.rejects(
      run(process.execPath, [main, 'plan', 'race', '--mode', 'safe', '--seed', '-4'], { timeout: 30_000 }),
      (e: { code?: number }) => e.code === 2,
    );
  });
});
