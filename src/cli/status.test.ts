/**
 * `failsmall status serve` as a user runs it: on an embedded SQLite file with no other setup it
 * serves the page and the JSON until SIGTERM, then exits 0; a bad `--db`, a missing fastify or a
 * busy port make it exit 1 by itself, naming the failure. Bounds are generous (they tell "exited"
 * from "hung", never how fast).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const hide = new URL('../test-support/hide-packages.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'failsmall-cli-status-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly child: ReturnType<typeof spawn>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
}

function run(args: string[], hidden: string[] = []): Run {
  const pre = hidden.length === 0 ? [] : ['--import', hide];
  const child = spawn(process.execPath, [...pre, main, ...args], {
    env: { ...process.env, NO_COLOR: '1', FAILSMALL_TEST_HIDE_PACKAGES: hidden.join(','), FAILSMALL_STATUS_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

describe('failsmall status serve', () => {
  it('serves on an embedded SQLite file with no other setup, until SIGTERM', async () => {
    const db = join(dir, 'status.db');
    const r = run(['status', 'serve', '--db', `sqlite:${db}`, '--port', '0', '--token', 'cli-token-0123456789']);
    let url: string | undefined;
    for (let i = 0; i < 600 && url === undefined; i++) {
      url = /failsmall status: (http:\/\/\S+)\//.exec(r.stdout())?.[1];
      if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(url !== undefined, `no URL printed; stderr: ${r.stderr()}`);
    const summary = (await (await fetch(`${url}/api/v2/summary.json`)).json()) as { status: { indicator: string } };
    assert.equal(summary.status.indicator, 'none');
    const created = await fetch(`${url}/api/admin/components`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer cli-token-0123456789' },
      body: JSON.stringify({ id: 'api', name: 'API', group: 'Checkout' }),
    });
    assert.equal(created.status, 201);
    assert.ok((await (await fetch(`${url}/`)).text()).includes('API'));
    r.child.kill('SIGTERM');
    assert.deepEqual(await r.exited, { code: 0, signal: null });
    assert.ok(existsSync(db));
  });

  it('exits 1 on an unknown --db scheme', async () => {
    const r = run(['status', 'serve', '--db', 'mysql://x', '--port', '0']);
    assert.deepEqual(await r.exited, { code: 1, signal: null });
    assert.match(r.stderr(), /FS_ERR_INVALID_ARGUMENT: .*unknown scheme mysql:/);
  });

  it('exits 1 on an invalid --catalog, naming the field and its line', async () => {
    const catalog = join(dir, 'catalog-info.yaml');
    writeFileSync(catalog, 'apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: { name: db }\nspec: {}\n');
    const r = run(['status', 'serve', '--db', 'memory', '--port', '0', '--catalog', catalog]);
    assert.deepEqual(await r.exited, { code: 1, signal: null });
    assert.match(
      r.stderr(),
      /FS_ERR_STATUS_INVALID_CATALOG: Invalid catalog file: 4:\d+: documents\[0\]\.spec\.type: /,
    );
    const kinds = run(['status', 'serve', '--db', 'memory', '--auto-publish', 'meteor']);
    assert.notEqual((await kinds.exited).code, 0);
    assert.match(kinds.stderr(), /expected kinds among breaker-open, dns-guard, health-escalation/);
  });

  it('exits 1 naming fastify when it is not installed', async () => {
    const r = run(['status', 'serve', '--db', 'memory', '--port', '0'], ['fastify']);
    assert.deepEqual(await r.exited, { code: 1, signal: null });
    assert.match(r.stderr(), /FS_ERR_MISSING_PEER: .*"fastify"/);
  });

  it('exits 1 when the port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const r = run(['status', 'serve', '--db', 'memory', '--port', String(port)]);
      assert.deepEqual(await r.exited, { code: 1, signal: null });
      assert.match(r.stderr(), /EADDRINUSE/);
    } finally {
      holder.close();
    }
  });
});
