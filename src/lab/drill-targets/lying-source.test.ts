import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../core/clock.js';
import { HealthMonitor, providerSource, type HealthTarget } from '../../health/index.js';
import { LyingSource, serveLyingSource } from './lying-source.js';

const targets: HealthTarget[] = [
  { id: 'a', address: '127.0.0.1', port: 1 },
  { id: 'b', address: '127.0.0.1', port: 2 },
];
const honest = (name = 'nlb') => providerSource(name, () => true, { rise: 1, fall: 1 });
const unguarded = { failOpen: false, floor: 0, maxRemovedShare: 1, holdDown: 0, slowStart: false as const };

describe('LyingSource under health/ HealthMonitor', () => {
  it('answers its lie instead of checking, per target or for every target', async () => {
    const liar = new LyingSource(honest());
    const signal = new AbortController().signal;
    assert.equal(await liar.check(targets[0]!, signal), true);
    liar.lie('down', 'a');
    assert.equal(await liar.check(targets[0]!, signal), false);
    assert.equal(await liar.check(targets[1]!, signal), true);
    liar.lie('down');
    assert.equal(await liar.check(targets[1]!, signal), false);
    assert.deepEqual(liar.lies(), { a: 'down', '*': 'down' });
    liar.truth();
    assert.equal(await liar.check(targets[0]!, signal), true);
    assert.equal(liar.name, 'nlb');
  });

  it('with the guardrails off, one lying source empties the set; fail-open keeps it; a quorum of two holds', async () => {
    const clock = new VirtualClock();
    const run = async (sources: LyingSource[] | [LyingSource, ReturnType<typeof honest>], options: object) => {
      const monitor = new HealthMonitor({ targets, sources, clock, interval: 100, jitter: 0, ...options });
      (sources[0] as LyingSource).lie('down');
      const round = await monitor.evaluate();
      return { inSet: monitor.healthy().map((m) => m.id), round };
    };
    const naive = await run([new LyingSource(honest())], { guardrails: unguarded });
    assert.deepEqual(naive.inSet, []);
    const open = await run([new LyingSource(honest())], { guardrails: { holdDown: 0 } });
    assert.deepEqual(open.inSet, ['a', 'b']);
    assert.equal(open.round.mode, 'fail-open');
    const quorum = await run([new LyingSource(honest()), honest('data-path')], { quorum: 2, guardrails: unguarded });
    assert.deepEqual(quorum.inSet, ['a', 'b']);
    assert.ok(quorum.round.escalations.some((e) => e.reason === 'disagreement'));
  });

  it('serves the lie control the drill funcs call', async () => {
    const liar = new LyingSource(honest());
    const server = await serveLyingSource(liar, targets, { state: () => ({ extra: 1 }) });
    try {
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(server.url + path, {
          method,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      assert.equal((await call('GET', '/health/a')).status, 200);
      assert.equal((await call('POST', '/lie', { report: 'down', target: 'b' })).status, 200);
      assert.deepEqual((await call('GET', '/health/b')).body, { target: 'b', healthy: false, lying: true });
      assert.deepEqual((await call('GET', '/health')).body, {
        targets: { a: true, b: false },
        lies: { b: 'down' },
        extra: 1,
      });
      assert.equal((await call('POST', '/lie', { report: 'sideways' })).status, 400);
      assert.equal((await call('POST', '/lie', { report: 'down', target: 'zz' })).status, 404);
      assert.equal((await call('DELETE', '/lie')).status, 200);
      assert.equal((await call('GET', '/health/b')).status, 200);
      assert.equal((await call('GET', '/health/zz')).status, 404);
    } finally {
      await server.close();
    }
  });
});
