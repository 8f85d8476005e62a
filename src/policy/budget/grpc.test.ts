import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { grpcRetryBudget } from './grpc.js';
import { assertInvalidOptions } from '../../test-support/invalid-options.js';

describe('grpcRetryBudget (gRFC A6 retry throttling)', () => {
  it('starts at maxTokens; a failure takes 1; retries only while tokens > maxTokens / 2', () => {
    const b = grpcRetryBudget({ maxTokens: 10, tokenRatio: 0.1 });
    assert.equal(b.kind, 'grpc');
    assert.equal(b.tokens, 10);
    const answers = Array.from({ length: 7 }, () => b.tryAcquire());
    assert.deepEqual(answers, [true, true, true, true, false, false, false]); // 9 8 7 6 | 5 4 3
    assert.equal(b.tokens, 3);
  });

  it('successes add tokenRatio back, capped at maxTokens, without float drift', () => {
    const b = grpcRetryBudget({ maxTokens: 10, tokenRatio: 0.1 });
    for (let i = 0; i < 5; i++) b.tryAcquire(); // 5 tokens
    for (let i = 0; i < 10; i++) b.recordSuccess();
    assert.equal(b.tokens, 6);
    assert.equal(b.tryAcquire(), false); // 5: not above 5
    for (let i = 0; i < 1_000; i++) b.recordSuccess();
    assert.equal(b.tokens, 10);
  });

  it('never goes below zero', () => {
    const b = grpcRetryBudget({ maxTokens: 2, tokenRatio: 1 });
    for (let i = 0; i < 10; i++) b.tryAcquire();
    assert.equal(b.tokens, 0);
    b.recordSuccess();
    assert.equal(b.tokens, 1);
    assert.equal(b.tryAcquire(), false);
  });

  it('validates its options', () => {
    assertInvalidOptions(grpcRetryBudget, [
      [{ maxTokens: 0 }, 'Expected `maxTokens` to be a finite number > 0, got 0'],
      [{ maxTokens: 1001 }, 'Expected `maxTokens` to be a number in (0, 1000], got 1001'],
      [{ tokenRatio: 0 }],
      [7],
    ]);
  });

  it('property: retries never exceed the budget (matches the gRFC model, tokens in [0, max])', () => {
    const config = fc.record({
      maxTokens: fc.integer({ min: 1, max: 1000 }),
      tokenRatio: fc.integer({ min: 1, max: 5_000 }).map((n) => n / 1000),
    });
    fc.assert(
      fc.property(config, fc.array(fc.boolean(), { maxLength: 500 }), ({ maxTokens, tokenRatio }, outcomes) => {
        const b = grpcRetryBudget({ maxTokens, tokenRatio });
        let model = maxTokens * 1000;
        for (const success of outcomes) {
          if (success) {
            b.recordSuccess();
            model = Math.min(maxTokens * 1000, model + Math.round(tokenRatio * 1000));
          } else {
            model = Math.max(0, model - 1000);
            assert.equal(b.tryAcquire(), model > (maxTokens * 1000) / 2);
          }
          assert.equal(b.tokens, model / 1000);
          assert.ok(b.tokens >= 0 && b.tokens <= maxTokens);
        }
      }),
    );
  });
});
