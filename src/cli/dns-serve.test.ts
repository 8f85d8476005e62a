import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import dns from 'node:dns';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDuration } from './dns-fault.js';
import { parseHostPort } from './dns-serve.js';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fs-dns-cli-'));
const zoneFile = join(dir, 'zone.yaml');
writeFileSync(
  zoneFile,
  `name: amazonaws.com
records:
  - name: dynamodb.us-east-1
    type: A
    ttl: 5
    records: [127.0.0.10]
`,
);

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { timeout: 10_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });
}

describe('failsmall dns serve / dns fault', () => {
  it('serves a zone, adds, lists and clears faults, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [
      main,
      'dns',
      'serve',
      '--zone',
      zoneFile,
      '--listen',
      '127.0.0.1:0',
      '--api',
      '127.0.0.1:0',
    ]);
    try {
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const banner = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const dnsAt = /on (127\.0\.0\.1:\d+) /.exec(banner)![1]!;
      const api = /control API (http:\/\/\S+)/.exec(banner)![1]!;
      const resolver = new dns.promises.Resolver({ timeout: 1000, tries: 1 });
      resolver.setServers([dnsAt]);
      assert.deepEqual(await resolver.resolve4('dynamodb.us-east-1.amazonaws.com'), ['127.0.0.10']);

      const added = await run([
        'dns',
        'fault',
        'add',
        'empty',
        'dynamodb.*',
        '--type',
        'A',
        '--api',
        api,
        '--for',
        '5m',
      ]);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /^added f1 {2}empty {2}dynamodb\.\* {2}A/);
      await assert.rejects(resolver.resolve4('dynamodb.us-east-1.amazonaws.com'), { code: 'ENODATA' });
      const delay = await run([
        'dns',
        'fault',
        'add',
        'delay',
        '*',
        '--delay',
        '50ms',
        '--jitter',
        '10',
        '--probability',
        '0.5',
        '--api',
        api,
        '--json',
      ]);
      assert.equal(JSON.parse(delay.stdout).delayMs, 50);
      const list = await run(['dns', 'fault', 'list', '--api', api]);
      assert.match(list.stdout, /^f1 .*fired=1\nf2 .*delay=50\+10ms/);
      const bad = await run(['dns', 'fault', 'add', 'wrong-address', 'x', '--api', api]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /FS_ERR_CHAOS_INVALID_FAULT: address: a wrong-address rule needs an address/);
      assert.match((await run(['dns', 'fault', 'clear', 'f2', '--api', api])).stdout, /removed f2/);
      assert.equal((await run(['dns', 'fault', 'clear', 'nope', '--api', api])).code, 1);
      assert.match((await run(['dns', 'fault', 'clear', '--api', api])).stdout, /removed 1 fault rule\n/);
      assert.deepEqual(await resolver.resolve4('dynamodb.us-east-1.amazonaws.com'), ['127.0.0.10']);

      const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exit, 0);
      assert.match(stderr, /fault added f1: empty for dynamodb\.\* A/);
      assert.match(stderr, /faults cleared \(1: f1\)/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('fails with a clear error for a bad zone file, an unsafe API address or an unreachable API', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x.com\nrecords:\n  - { name: a, type: A, ttl: 5, records: [not-an-ip] }\n');
    const zone = await run(['dns', 'serve', '--zone', bad, '--listen', '127.0.0.1:0', '--api', '127.0.0.1:0']);
    assert.equal(zone.code, 1);
    assert.match(
      zone.stderr,
      /FS_ERR_CHAOS_ZONE_FILE: .*bad\.yaml:3:\d+: records\[0\]\.records\[0\]\.value: expected an IPv4 address/,
    );
    const open = await run(['dns', 'serve', '--zone', zoneFile, '--listen', '127.0.0.1:0', '--api', '0.0.0.0:0']);
    assert.equal(open.code, 1);
    assert.match(open.stderr, /FS_ERR_CHAOS_TOKEN_REQUIRED/);
    const listen = await run(['dns', 'serve', '--zone', zoneFile, '--listen', 'nowhere']);
    assert.match(listen.stderr, /--listen: expected host:port/);
    const unreachable = await run(['dns', 'fault', 'list', '--api', 'http://127.0.0.1:1']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach the control API/);
  });

  it('parses host:port and durations', () => {
    assert.deepEqual(parseHostPort('[::1]:53', '--listen'), { host: '::1', port: 53 });
    assert.deepEqual(parseHostPort('127.0.0.1:5353', '--listen'), { host: '127.0.0.1', port: 5353 });
    assert.throws(() => parseHostPort('127.0.0.1:70000', '--listen'), /expected host:port/);
    assert.equal(parseDuration('250', '--delay'), 250);
    assert.equal(parseDuration('1.5s', '--delay'), 1500);
    assert.equal(parseDuration('5m', '--for'), 300_000);
    assert.equal(parseDuration('2h37m', '--for'), 9_420_000);
    assert.throws(() => parseDuration('', '--for'), /--for: expected a duration/);
    assert.throws(() => parseDuration('soon', '--for'), /--for: expected a duration/);
  });
});
