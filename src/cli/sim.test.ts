/**
 * `failsmall sim` from the command line: each sub-command at a small scale, the shape of its `--json`
 * lines, the human output, the HTML report, `merge`, and bad usage (exit 2 with FS_ERR_SIM_ARGUMENT).
 * Every run is bounded by execFile's timeout; no figure of a model is asserted here (the models'
 * own tests do that).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exitCodes } from './exit-codes.js';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'failsmall-sim-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function sim(args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main, 'sim', ...args],
      { timeout: 120_000, killSignal: 'SIGKILL', env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: unknown }) | null;
        resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, stdout, stderr });
      },
    );
  });
}

/** The JSON lines of a successful run. */
function lines(result: Exit): Record<string, unknown>[] {
  assert.equal(result.code, exitCodes.ok, `stderr: ${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every model's JSON carries its cost. */
function hasCost(r: Record<string, unknown>): void {
  for (const key of ['events', 'events_per_s', 'wall_s']) assert.equal(typeof r[key], 'number', key);
  assert.ok((r['events'] as number) > 0);
}

describe('failsmall sim (CLI)', () => {
  it('occ --json: one line with mean_calls and mean_completion_ms', async () => {
    const [r, ...rest] = lines(
      await sim(['occ', '--clients', '20', '--strategy', 'exponential', '--trials', '2', '--seed', '3', '--json']),
    );
    assert.equal(rest.length, 0);
    assert.equal(r!['model'], 'occ');
    assert.equal(r!['strategy'], 'exponential');
    assert.equal(r!['clients'], 20);
    assert.equal(r!['seed'], 3);
    assert.equal(typeof r!['mean_calls'], 'number');
    assert.equal(typeof r!['mean_completion_ms'], 'number');
    hasCost(r!);
  });

  it('retry --json: success and load', async () => {
    const [r] = lines(
      await sim(['retry', '--p', '0.5', '--strategy', 'token-bucket', '--clients', '10', '--calls', '10', '--json']),
    );
    assert.equal(r!['model'], 'retry');
    assert.equal(r!['strategy'], 'token-bucket');
    const success = r!['success'] as number;
    assert.ok(success >= 0 && success <= 1);
    assert.ok((r!['load'] as number) >= 1);
    hasCost(r!);
  });

  it('collapse --seeds --shard --json: one line per seed of the shard, goodput per second; merge summarises them', async () => {
    const result = await sim(['collapse', '--seeds', '1-4', '--shard', '2/2', '--backoff', 'jitter', '--json']);
    const rows = lines(result);
    assert.deepEqual(
      rows.map((r) => r['seed']),
      [3, 4],
    );
    for (const r of rows) {
      assert.equal(r['model'], 'collapse');
      assert.equal(r['backoff'], 'jitter');
      assert.equal((r['goodput_per_s'] as number[]).length, 80);
      assert.equal((r['retries_per_s'] as number[]).length, 80);
      assert.equal(typeof r['final_concurrency'], 'number');
      assert.equal(typeof r['recovered'], 'boolean');
      hasCost(r);
    }
    const file = join(dir, 'shard2.jsonl');
    writeFileSync(file, result.stdout);
    const [merged, ...more] = lines(await sim(['merge', file]));
    assert.equal(more.length, 0);
    assert.equal(merged!['runs'], 2);
    assert.deepEqual(merged!['seeds'], [3, 4]);
    const share = merged!['share_recovered'] as number;
    assert.ok(share >= 0 && share <= 1, JSON.stringify(merged));
  });

  it('outage --json --report: both fleets, the lease manager without and with admit/, peak memory, an HTML report', async () => {
    const report = join(dir, 'outage.html');
    const [r] = lines(await sim(['outage', '--clients', '2000', '--json', '--report', report]));
    assert.equal(r!['model'], 'outage');
    assert.equal(r!['clients'], 2000);
    assert.equal(typeof r!['peak_rss_mb'], 'number');
    hasCost(r!);
    const sdk = r!['sdk'] as Record<string, unknown>;
    const fs = r!['failsmall'] as Record<string, unknown>;
    for (const fleet of [sdk, fs]) {
      for (const key of ['success_during_empty', 'success', 'load', 'budget_denied']) {
        assert.equal(typeof fleet[key], 'number', key);
      }
      assert.ok(Array.isArray(fleet['attempts_per_min']));
    }
    const none = r!['lease_without_admit'] as Record<string, unknown>;
    const admit = r!['lease_with_admit'] as Record<string, unknown>;
    assert.equal(none['admission'], 'none');
    assert.equal(admit['admission'], 'admit', 'admit/ is in this build: the lease part drives its decisions');
    for (const lease of [none, admit]) {
      for (const key of ['wasted_share', 'peak_queue', 'established']) assert.equal(typeof lease[key], 'number', key);
      assert.ok(Array.isArray(lease['leases_per_min']));
    }
    assert.equal(typeof admit['recovered_s'], 'number');
    const html = readFileSync(report, 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /leases re-established per minute/);
  });

  it('prints a readable summary without --json', async () => {
    const result = await sim(['occ', '--clients', '10', '--trials', '1']);
    assert.equal(result.code, exitCodes.ok, result.stderr);
    assert.match(result.stdout, /^ {2}model: occ$/m);
    assert.match(result.stdout, /^ {2}mean_calls: [\d.]+$/m);
  });

  const badUsage: readonly (readonly string[])[] = [
    ['occ', '--clients', '0'],
    ['occ', '--clients', 'many'],
    ['occ', '--strategy', 'linear'],
    ['occ', '--bogus'],
    ['retry', '--p', '1.5'],
    ['retry', '--strategy', 'nope'],
    ['collapse', '--backoff', 'exponential'],
    ['collapse', '--seeds', '9-1'],
    ['collapse', '--seeds', '1-4', '--shard', '3/2'],
    ['collapse', '--shard', '1/2'],
    ['collapse', '--seed', '1', '--seeds', '1-2'],
    ['collapse', '--spike-s', '-1'],
    ['outage', '--clients', '-5'],
    ['outage', '--report', join(dir, 'missing', 'x.html')],
    ['merge', join(dir, 'no-such-file.jsonl')],
    ['nope'],
  ];
  for (const args of badUsage) {
    it(`bad usage exits 2 with FS_ERR_SIM_ARGUMENT: sim ${args.join(' ').replace(dir, '$TMP')}`, async () => {
      const result = await sim([...args]);
      assert.equal(result.code, exitCodes.usage, `stderr: ${result.stderr}`);
      assert.match(result.stderr, /^failsmall sim: FS_ERR_SIM_ARGUMENT: /m);
      assert.equal(result.stdout, '');
    });
  }

  it('merge rejects a line that is not JSON, naming the file and line', async () => {
    const file = join(dir, 'broken.jsonl');
    writeFileSync(file, '{"model":"collapse","seed":1}\nnot json\n');
    const result = await sim(['merge', file]);
    assert.equal(result.code, exitCodes.usage);
    assert.match(result.stderr, /FS_ERR_SIM_ARGUMENT: .*broken\.jsonl:2: not a JSON line/);
  });
});
