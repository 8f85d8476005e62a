import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'failsmall-health-cli-'));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

interface Report {
  mode: string;
  rounds: number;
  targets: { id: string; in_set: boolean; reason: string; vote: string }[];
  escalations: { reason: string; targets: string[] }[];
}

describe('failsmall health check (CLI)', () => {
  const servers: Server[] = [];
  const ports: number[] = [];
  before(async () => {
    // Three nodes; c's /health answers 500 while it accepts connections (the sources disagree).
    for (const id of ['a', 'b', 'c']) {
      const server = createServer((req, res) => {
        res.statusCode = id === 'c' && req.url === '/health' ? 500 : 200;
        res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      ports.push((server.address() as AddressInfo).port);
    }
  });
  after(async () => {
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (ids: readonly string[], extra = ''): string => {
    const file = join(dir, `${ids.join('')}-${extra.length}.yaml`);
    const targets = ids.map((id) => `  - { id: ${id}, address: 127.0.0.1, port: ${ports['abc'.indexOf(id)]} }`);
    writeFileSync(
      file,
      `name: orders\ntargets:\n${targets.join('\n')}\nsources:\n  - { type: tcp, name: nlb }\n  - { type: http, name: outside, path: /health }\n${extra}`,
    );
    return file;
  };

  it('prints every target healthy and exits 0 when every source agrees', async () => {
    const { code, stdout, stderr } = await run(['health', 'check', '--config', config(['a', 'b']), '--json']);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as Report;
    assert.deepEqual(
      report.targets.map((t) => [t.id, t.in_set, t.reason, t.vote]),
      [
        ['a', true, 'healthy', 'quorum-up'],
        ['b', true, 'healthy', 'quorum-up'],
      ],
    );
    assert.deepEqual(report.escalations, []);
  });

  it('holds a target the sources disagree on, escalates, and exits 1 (table and JSON)', async () => {
    const file = config(['a', 'b', 'c']);
    const json = await run(['health', 'check', '--config', file, '--json', '--rounds', '2', '--interval', '10']);
    assert.equal(json.code, 1, json.stderr);
    const report = JSON.parse(json.stdout) as Report;
    assert.equal(report.rounds, 2);
    const c = report.targets.find((t) => t.id === 'c')!;
    assert.deepEqual([c.in_set, c.reason, c.vote], [true, 'hold', 'disagreement']);
    assert.ok(report.escalations.some((e) => e.reason === 'disagreement' && e.targets.includes('c')));
    const table = await run(['health', 'check', '--config', file]);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /^c\s+127\.0\.0\.1:\d+\s+yes\s+hold\s+disagreement \(1\/1\/0\)/m);
    assert.match(table.stdout, /ESCALATION: disagreement: c/);
  });

  it('names the bad field and its line, and exits 2', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'targets:\n  - { id: a, address: 127.0.0.1 }\nsources:\n  - { type: tcp, port: 70000 }\nguardrails: { flor: 0.5 }\n',
    );
    const { code, stderr } = await run(['health', 'check', '--config', file]);
    assert.equal(code, 2);
    assert.match(
      stderr,
      /FS_ERR_HEALTH_CONFIG: .*bad\.yaml:4:\d+: sources\[0\]\.port: expected a port from 1 to 65535/,
    );
    assert.match(stderr, /guardrails\.flor/);
    const yaml = join(dir, 'broken.yaml');
    writeFileSync(yaml, 'targets: [\n');
    const broken = await run(['health', 'check', '--config', yaml]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /broken\.yaml:\d+:\d+: not valid YAML/);
  });

  it('exits 2 on bad usage', async () => {
    assert.equal((await run(['health', 'check'])).code, 2, 'no --config');
    assert.equal((await run(['health', 'check', '--bogus'])).code, 2, 'unknown option');
    const rounds = await run(['health', 'check', '--config', config(['a']), '--rounds', '0']);
    assert.equal(rounds.code, 2);
    assert.match(rounds.stderr, /--rounds: expected a whole number >= 1/);
    assert.equal((await run(['health', 'check', '--config', join(dir, 'missing.yaml')])).code, 2);
  });
});
