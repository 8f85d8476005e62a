/**
 * Every sub-command releases what it started on every error path: each case runs the built CLI with a
 * failing dependency and asserts that the process exits by itself with code 1 and names the failure.
 * The bound (30 s per run) is generous on purpose: it only tells "exited" from "hung" (a hung CLI is
 * killed by execFile's timeout and reported with `signal` set), never how fast it exited.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const hide = new URL('../test-support/hide-packages.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'failsmall-cli-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI; `hidden` packages look not installed. Resolves when it exits or after 30 s (killed). */
function cli(args: string[], hidden: string[] = []): Promise<Exit> {
  const pre = hidden.length === 0 ? [] : ['--import', hide];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...pre, main, ...args],
      {
        timeout: 30_000,
        killSignal: 'SIGKILL',
        env: { ...process.env, NO_COLOR: '1', FAILSMALL_TEST_HIDE_PACKAGES: hidden.join(',') },
      },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
        resolve({
          code: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
          signal: e?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

function exitedWith(result: Exit, code: number, pattern: RegExp): void {
  assert.equal(result.signal, null, `the CLI hung and was killed; stderr: ${result.stderr}`);
  assert.equal(result.code, code, `stderr: ${result.stderr}`);
  assert.match(result.stderr, pattern);
}

/** A TCP server that takes connections and never answers (or one that holds a port). */
async function silentServer(): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { server, port, close };
}

/** Every optional peer of failsmall: none is needed by the help or by a race on the memory store. */
const OPTIONAL_PEERS = [
  'better-sqlite3',
  'pg',
  '@aws-sdk/client-dynamodb',
  '@smithy/node-http-handler',
  'cacheable-lookup',
  'chart.js',
];

describe('CLI without optional peers', () => {
  it('prints its help and runs plan race on the memory store with none of them installed', async () => {
    const help = await cli(['--help'], OPTIONAL_PEERS);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /plan/);
    const race = await cli(['plan', 'race', '--mode', 'safe', '--json'], OPTIONAL_PEERS);
    assert.equal(race.code, 0, race.stderr);
    assert.equal((JSON.parse(race.stdout) as { stuck: boolean }).stuck, false);
  });
});

describe('CLI error paths: every command exits by itself when a dependency fails', () => {
  it('plan race: a SQLite file that cannot be opened', async () => {
    const r = await cli(['plan', 'race', '--mode', 'safe', '--store', 'sqlite:/nonexistent/dir/x.db']);
    exitedWith(r, 1, /FS_ERR_STORE_BACKEND/);
  });

  it('plan race: an unreachable PostgreSQL server', async () => {
    const r = await cli(['plan', 'race', '--mode', 'safe', '--store', 'postgres://nobody@127.0.0.1:1/none']);
    exitedWith(r, 1, /FS_ERR_STORE_BACKEND/);
  });

  it('plan race: an unknown store scheme is an error, not a file name', async () => {
    const r = await cli(['plan', 'race', '--mode', 'safe', '--store', 'mysql://x']);
    exitedWith(r, 1, /FS_ERR_INVALID_ARGUMENT.*unknown scheme mysql:/);
  });

  it('plan race: the SQLite driver is not installed', async () => {
    const r = await cli(
      ['plan', 'race', '--mode', 'safe', '--store', `sqlite:${join(dir, 'p.db')}`],
      ['better-sqlite3'],
    );
    exitedWith(r, 1, /FS_ERR_MISSING_PEER.*npm install better-sqlite3/);
  });

  it('replay: names every missing package at once, before anything starts', async () => {
    const hidden = ['@aws-sdk/client-dynamodb', '@smithy/node-http-handler', 'cacheable-lookup', 'chart.js'];
    const r = await cli(['replay', '--report', join(dir, 'r.html')], hidden);
    exitedWith(r, 1, /FS_ERR_MISSING_PEER/);
    for (const name of hidden) assert.ok(r.stderr.includes(name), `${name} named: ${r.stderr}`);
    assert.match(
      r.stderr,
      /npm install @aws-sdk\/client-dynamodb @smithy\/node-http-handler cacheable-lookup chart\.js/,
    );
    const noReport = await cli(['replay'], ['cacheable-lookup', 'chart.js']);
    exitedWith(noReport, 1, /needs cacheable-lookup, which is not installed/);
  });

  it('dns serve: the control API port is taken', async () => {
    const holder = await silentServer();
    try {
      const zone = join(dir, 'zone.yaml');
      writeFileSync(zone, 'zones:\n  - name: example.com\n    records: []\n');
      const r = await cli([
        'dns',
        'serve',
        '--zone',
        zone,
        '--listen',
        '127.0.0.1:0',
        '--api',
        `127.0.0.1:${holder.port}`,
      ]);
      exitedWith(r, 1, /failsmall dns serve: FS_ERR_CHAOS_LISTEN/);
    } finally {
      await holder.close();
    }
  });

  it('dns lookup: the DNS server does not answer', async () => {
    const r = await cli(['dns', 'lookup', 'api.example.com', '--server', '127.0.0.1:1', '--timeout', '200']);
    exitedWith(r, 1, /failsmall dns lookup:/);
  });

  it('dns fault: the control API refuses, or accepts and never answers', async () => {
    const refused = await cli(['dns', 'fault', 'list', '--api', 'http://127.0.0.1:1']);
    exitedWith(refused, 1, /cannot reach the control API/);
    const silent = await silentServer();
    try {
      const r = await cli(['dns', 'fault', 'list', '--api', `http://127.0.0.1:${silent.port}`, '--timeout', '500']);
      exitedWith(r, 1, /no answer within 500 ms/);
    } finally {
      await silent.close();
    }
  });
});
