import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import { degradation, type FeatureStateChange } from './degradation.js';
import { readCache } from './read-cache.js';

describe('degradation', () => {
  it('serves cached, a default, or hides the feature while its dependency fails, with the state in metrics', async () => {
    const clock = new VirtualClock(0);
    const features = degradation({
      dependency: 'orders',
      clock,
      features: {
        history: { fallback: 'cached', cache: readCache({ clock, ttl: 0 }) },
        recommendations: { fallback: 'default', value: [] },
        reviews: { fallback: 'hide' },
      },
    });
    const changes: FeatureStateChange[] = [];
    features.onStateChange.on((c) => changes.push(c));
    let down = false;
    const call =
      <T>(value: T) =>
      (): Promise<T> =>
        down ? Promise.reject(new Error('orders down')) : Promise.resolve(value);
    assert.deepEqual(await features.run('history', call(['o1'])), { state: 'ok', value: ['o1'] });
    assert.deepEqual(await features.run('recommendations', call(['r1'])), { state: 'ok', value: ['r1'] });
    down = true;
    await clock.advance(2_000);
    const history = await features.run('history', call(['o2']));
    assert.deepEqual(
      [history.state, history.state === 'degraded' && history.value, history.state === 'degraded' && history.age],
      ['degraded', ['o1'], 2_000],
    );
    const recs = await features.run('recommendations', call(['r2']));
    assert.deepEqual([recs.state, recs.state === 'degraded' && recs.value], ['degraded', []]);
    assert.equal((await features.run('reviews', call(5))).state, 'hidden');
    assert.deepEqual(
      changes.map((c) => [c.feature, c.from, c.to]),
      [
        ['history', 'ok', 'degraded'],
        ['recommendations', 'ok', 'degraded'],
        ['reviews', 'ok', 'hidden'],
      ],
    );
    const snap = features.snapshot().features as Record<string, { state: string; degraded: number; lastError: string }>;
    assert.equal(snap.history!.state, 'degraded');
    assert.equal(snap.reviews!.lastError, 'orders down');
    down = false;
    assert.equal((await features.run('reviews', call(5))).state, 'ok');
    assert.equal(features.state('reviews'), 'ok');
  });

  it('names the field of a wrong declaration', () => {
    const bad: [unknown, string][] = [
      [{ features: {} }, 'Expected `features` to be an object of features'],
      [
        { features: { a: { fallback: 'retry' } } },
        'Expected `features.a.fallback` to be one of "cached", "default", "hide", got "retry"',
      ],
      [{ features: { a: { fallback: 'cached' } } }, 'Expected `features.a.cache` to be a ReadCache, got undefined'],
      [
        { features: { a: { fallback: 'default' } } },
        'Expected `features.a.value` to be a default value, got undefined',
      ],
    ];
    for (const [options, message] of bad) {
      assert.throws(
        () => degradation(options as never),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT') && (e as Error).message.startsWith(message),
        message,
      );
    }
  });
});
