import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { freeLoopbackPort } from '../../drill/runner.js';

const script = fileURLToPath(new URL('./regions.js', import.meta.url));
const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.kill('SIGKILL')));

/** Starts one role of the target and resolves once it says it listens. */
async function start(args: string[]): Promise<void> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.match(line.toString(), / on \d+/);
}

const put = async (url: string, body: string) => (await fetch(url, { method: 'PUT', body })).status;

describe('the region-failover drill target', () => {
  it('drains a switch away from a live region: writes it acknowledged are on the new one when the switch answers', async () => {
    const [a, b, sw] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
    const url = (p: number) => `http://127.0.0.1:${p}`;
    // A replication lag far longer than the test: without the drain, b's writes could not be on a yet.
    const lag = '--lag-ms=60000';
    await start(['region', `--port=${a}`, `--peer=${url(b)}`, lag]);
    await start(['region', `--port=${b}`, `--peer=${url(a)}`, lag]);
    await start(['switch', `--port=${sw}`, `--a=${url(a)}`, `--b=${url(b)}`, '--active=b']);
    const writes = Array.from({ length: 20 }, (_, i) => put(`${url(sw)}/kv/k${i}`, `v${i}`));
    const switched = fetch(`${url(sw)}/switch`, { method: 'POST', body: '{"active":"a"}' });
    assert.deepEqual(await Promise.all(writes), Array(20).fill(204));
    assert.deepEqual(await (await switched).json(), { active: 'a', flushed: true });
    const onA = (await (await fetch(`${url(a)}/kv`)).json()) as Record<string, string>;
    for (let i = 0; i < 20; i++) assert.equal(onA[`k${i}`], `v${i}`, `k${i} is on a`);
  });

  it('still switches when the region being left is dead (a failover), saying it could not flush', async () => {
    const [a, b, sw] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
    const url = (p: number) => `http://127.0.0.1:${p}`;
    await start(['region', `--port=${b}`, `--peer=${url(a)}`, '--lag-ms=60000']);
    await start(['switch', `--port=${sw}`, `--a=${url(a)}`, `--b=${url(b)}`, '--active=a']); // a never started
    const answer = await fetch(`${url(sw)}/switch`, { method: 'POST', body: '{"active":"b"}' });
    assert.deepEqual(await answer.json(), { active: 'b', flushed: false });
    assert.equal(await put(`${url(sw)}/kv/x`, '1'), 204);
  });
});
