import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scenarioYaml, shortReplayScenario, shortReplayScenarioYaml } from '../test-support/short-scenario.js';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'failsmall-replay-cli-'));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main, ...args],
      // the short scenario plus the lease link (about 40 s) and the health link (about 19 s)
      { timeout: 150_000, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('failsmall replay (CLI)', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON object with the summary and writes the HTML report', async () => {
    const scenario = join(dir, 'short.yaml');
    const report = join(dir, 'replay.html');
    writeFileSync(scenario, shortReplayScenarioYaml);
    const { code, stdout, stderr } = await run([
      'replay',
      '--scenario',
      scenario,
      '--speed',
      '300',
      '--json',
      '--report',
      report,
    ]);
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'exactly one line of JSON');
    const summary = JSON.parse(lines[0]!) as {
      targets: Record<string, { met: boolean }>;
      scenario: { speed: number };
      groups: Record<
        'baseline' | 'failsmall',
        { success_during_empty: number; peak_amplification: number; recovery_s: number | null }
      >;
      safe_plan: { record_emptied: boolean };
    };
    // exit 1 exactly when a target was missed (a loaded machine can miss one at this speed)
    assert.equal(code, Object.values(summary.targets).some((t) => !t.met) ? 1 : 0, stderr);
    assert.equal(summary.scenario.speed, 300);
    for (const g of ['baseline', 'failsmall'] as const) {
      const s = summary.groups[g];
      assert.ok(s.success_during_empty >= 0 && s.success_during_empty <= 1);
      assert.equal(typeof s.peak_amplification, 'number');
      assert.ok(s.recovery_s === null || typeof s.recovery_s === 'number');
    }
    assert.equal(summary.safe_plan.record_emptied, false);
    const html = readFileSync(report, 'utf8');
    assert.match(html, /Compressed 300×/);
  });

  it('names the wrong field of an invalid scenario and exits 2 (bad usage)', async () => {
    const scenario = join(dir, 'bad.yaml');
    writeFileSync(scenario, scenarioYaml({ load: { rate: -3 } }, shortReplayScenario));
    const { code, stderr, stdout } = await run(['replay', '--scenario', scenario]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /FS_ERR_LAB_SCENARIO: .*bad\.yaml:\d+:\d+: load\.rate: expected a rate > 0/);
  });

  it('rejects --speed fast and --speed 0 with a code, exit 2', async () => {
    const fast = await run(['replay', '--speed', 'fast']);
    assert.equal(fast.code, 2);
    assert.match(fast.stderr, /FS_ERR_CLI_USAGE: --speed: expected a number/);
    const zero = await run(['replay', '--speed', '0']);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /FS_ERR_LAB_SCENARIO: speed: expected a speed > 0/);
  });

  it('rejects an unwritable --report path before the run, exit 2', async () => {
    const { code, stderr, stdout } = await run(['replay', '--report', join(dir, 'missing', 'folder', 'r.html')]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /FS_ERR_CLI_USAGE: --report: cannot write/);
    assert.doesNotMatch(stderr, /replaying/, 'nothing was run');
  });

  it('rejects --status-url without a token or not http(s), exit 2 before the run', async () => {
    const noToken = await run(['replay', '--status-url', 'http://127.0.0.1:9']);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /FS_ERR_CLI_USAGE: --status-url needs --status-token or \$FAILSMALL_STATUS_TOKEN/);
    const ftp = await run(['replay', '--status-url', 'ftp://x', '--status-token', 't']);
    assert.equal(ftp.code, 2);
    assert.match(ftp.stderr, /FS_ERR_CLI_USAGE: --status-url: expected an http\(s\) URL/);
    const alone = await run(['replay', '--status-token', 't']);
    assert.equal(alone.code, 2);
    assert.doesNotMatch(noToken.stderr + ftp.stderr + alone.stderr, /replaying/, 'nothing was run');
  });

  it('exits 2 on an unknown option', async () => {
    const { code, stderr } = await run(['replay', '--no-such-option']);
    assert.equal(code, 2);
    assert.match(stderr, /unknown option/);
  });

  it('exits 1 with a warning when a target is missed, 0 when all are met; --json keeps stdout pure JSON', async () => {
    const { code, stdout, stderr } = await run(['replay', '--speed', '2000', '--json']);
    const summary = JSON.parse(stdout) as { targets: Record<string, { met: boolean }> };
    const missed = Object.values(summary.targets).filter((t) => !t.met).length;
    assert.equal(code, missed > 0 ? 1 : 0, stderr);
    if (missed > 0) assert.match(stderr, /warning: \d+ target\(s\) missed/);
    assert.ok(!(stdout + stderr).includes('\x1b['), 'no escape codes outside a TTY');
  });
});

describe('failsmall replay --scenario region-loss (CLI)', () => {
  it('refuses --speed and --report for the region-loss scenario, and an unknown scenario name, with exit 2', async () => {
    const speed = await run(['replay', '--scenario', 'region-loss', '--speed', '2']);
    assert.equal(speed.code, 2, speed.stderr);
    assert.match(speed.stderr, /--speed: not available for the region-loss scenario/);
    const report = await run(['replay', '--scenario', 'region-loss', '--report', join(dir, 'x.html')]);
    assert.equal(report.code, 2, report.stderr);
    const unknown = await run(['replay', '--scenario', 'region-gone']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /FS_ERR_LAB_SCENARIO.*built-in scenarios: region-loss/);
  });
});

describe('failsmall (CLI entry)', () => {
  it('lists every sub-command in --help without loading them, and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    for (const name of ['dns', 'plan', 'replay']) assert.match(stdout, new RegExp(`\\b${name}\\b`));
  });

  it('prints the version', async () => {
    const { code, stdout } = await run(['--version']);
    assert.equal(code, 0);
    assert.match(stdout, /^\d+\.\d+\.\d+/);
  });
});
