import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runOcc } from './occ.js';

describe('OCC contention model', () => {
  it('is reproducible from the seed', () => {
    const a = runOcc({ clients: 50, strategy: 'full', trials: 3, seed: 7 });
    const b = runOcc({ clients: 50, strategy: 'full', trials: 3, seed: 7 });
    assert.equal(a.mean_calls, b.mean_calls);
    assert.equal(a.mean_completion_ms, b.mean_completion_ms);
    assert.equal(a.events, b.events);
  });

  it('matches the published result qualitatively: jitter needs far fewer calls than plain exponential', () => {
    const exp = runOcc({ clients: 100, strategy: 'exponential', trials: 10 });
    const full = runOcc({ clients: 100, strategy: 'full', trials: 10 });
    const none = runOcc({ clients: 100, strategy: 'none', trials: 10 });
    assert.ok(full.mean_calls < exp.mean_calls * 0.7, `full ${full.mean_calls} vs exponential ${exp.mean_calls}`);
    assert.ok(exp.mean_calls < none.mean_calls, 'backing off at all saves calls');
    assert.ok(full.mean_completion_ms < exp.mean_completion_ms / 3, 'and finishes much sooner than plain exponential');
    assert.ok(full.mean_calls >= 1);
  });

  it('rejects bad parameters', () => {
    assert.throws(() => runOcc({ clients: 0 }), /Expected `clients` to be a positive integer, got 0/);
    assert.throws(
      () => runOcc({ strategy: 'linear' as never }),
      /Expected `strategy` to be one of "none", "exponential"/,
    );
    assert.throws(() => runOcc({ client: 3 } as never), /Expected `client` to be a known option/);
  });
});
