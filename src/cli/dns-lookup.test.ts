import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startDnsFixture, type DnsFixture } from '../test-support/dns-server.js';

const main = fileURLToPath(new URL('./main.js', import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, 'dns', 'lookup', ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });
}

describe('failsmall dns lookup', () => {
  let server: DnsFixture;
  before(async () => {
    server = await startDnsFixture({ zone: { 'api.test': { A: ['10.0.0.1'], AAAA: ['fd00::1'], ttl: 42 } } });
  });
  after(async () => {
    await server.close();
  });

  it('prints addresses, TTL and source, as text and JSON', async () => {
    const text = await run(['api.test', '--server', server.server]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /api\.test {2}\(ttl 42 s, source fresh/);
    assert.match(text.stdout, /10\.0\.0\.1\tIPv4/);
    assert.match(text.stdout, /fd00::1\tIPv6/);
    const json = await run(['api.test', '--server', server.server, '--family', '6', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const answer = JSON.parse(json.stdout) as { addresses: unknown; source: string; ttl: number };
    assert.deepEqual(answer.addresses, [{ address: 'fd00::1', family: 6 }]);
    assert.equal(answer.source, 'fresh');
    assert.equal(answer.ttl, 42);
  });

  it('fails with the failsmall code and exit code 1', async () => {
    const missing = await run(['missing.test', '--server', server.server, '--json']);
    assert.equal(missing.code, 1);
    assert.equal((JSON.parse(missing.stdout) as { error: { code: string } }).error.code, 'FS_ERR_DNS_NOT_FOUND');
    const bad = await run(['bad..name', '--server', server.server]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /FS_ERR_DNS_INVALID_HOSTNAME/);
    const family = await run(['api.test', '--family', '5']);
    assert.equal(family.code, 1);
    assert.match(family.stderr, /--family/);
  });
});
