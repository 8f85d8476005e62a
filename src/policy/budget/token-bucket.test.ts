import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sdkRetries2026Costs, tokenBucketBudget } from './token-bucket.js';
import type { RetryCause } from './budget.js';
import { assertInvalidOptions } from '../../test-support/invalid-options.js';

describe('tokenBucketBudget (AWS SDK v3 standard mode)', () => {
  it('starts with 500 tokens; a retry costs 5, a timeout retry 10', () => {
    const b = tokenBucketBudget();
    assert.equal(b.kind, 'token-bucket');
    assert.equal(b.tokens, 500);
    assert.equal(b.tryAcquire(0), true);
    assert.equal(b.tokens, 495);
    assert.equal(b.tryAcquire(0, 'timeout'), true);
    assert.equal(b.tokens, 485);
    assert.equal(b.tryAcquire(0, 'throttle'), true);
    assert.equal(b.tokens, 480);
  });

  it('allows exactly 100 retries against a dead dependency, then none', () => {
    const b = tokenBucketBudget();
    let granted = 0;
    for (let i = 0; i < 1_000; i++) if (b.tryAcquire(i)) granted++;
    assert.equal(granted, 100);
    assert.equal(b.tokens, 0);
    assert.deepEqual(
      { granted: b.snapshot().granted, denied: b.snapshot().denied, tokens: b.snapshot().tokens },
      { granted: 100, denied: 900, tokens: 0 },
    );
  });

  it('refunds a successful retry its cost and a first-attempt success 1 token, up to the maximum', () => {
    const b = tokenBucketBudget();
    b.tryAcquire(0, 'timeout');
    b.recordSuccess(0, true, 'timeout');
    assert.equal(b.tokens, 500);
    b.tryAcquire(0);
    b.tryAcquire(0);
    b.recordSuccess(0, true); // cause omitted: the ordinary retry cost
    assert.equal(b.tokens, 495);
    b.recordSuccess(0, false);
    assert.equal(b.tokens, 496);
    for (let i = 0; i < 10; i++) b.recordSuccess(0, false);
    assert.equal(b.tokens, 500);
  });

  it('denies a retry costing more than what is left (capacity >= cost, as the SDK checks)', () => {
    const b = tokenBucketBudget({ initialTokens: 12 });
    assert.equal(b.tryAcquire(0, 'timeout'), true); // 2 left
    assert.equal(b.tryAcquire(0), false);
    b.recordSuccess(0, false);
    b.recordSuccess(0, false);
    b.recordSuccess(0, false); // 5
    assert.equal(b.tryAcquire(0, 'timeout'), false);
    assert.equal(b.tryAcquire(0), true);
  });

  it('offers the costs of the SDK "retries 2026" behaviour', () => {
    const b = tokenBucketBudget({ ...sdkRetries2026Costs });
    b.tryAcquire(0);
    assert.equal(b.tokens, 486);
    b.tryAcquire(0, 'throttle');
    assert.equal(b.tokens, 481);
  });

  it('adds nothing per request by default (the SDK), and requestIncrement per request up to the pool when set', () => {
    const sdk = tokenBucketBudget();
    sdk.tryAcquire(0);
    sdk.recordRequest(0);
    assert.equal(sdk.tokens, 495);
    assert.equal(sdk.requestIncrement, 0);
    // Brooker's retry simulation: 5 tokens, +0.1 per call, a retry costs 1, nothing back on success.
    const b = tokenBucketBudget({
      initialTokens: 5,
      retryCost: 1,
      timeoutCost: 1,
      successIncrement: 0,
      requestIncrement: 0.1,
    });
    b.recordRequest(0);
    assert.equal(b.tokens, 5); // never beyond the pool
    for (let i = 0; i < 5; i++) assert.equal(b.tryAcquire(0), true);
    assert.equal(b.tryAcquire(0), false);
    for (let i = 0; i < 10; i++) b.recordRequest(0);
    assert.ok(Math.abs(b.tokens - 1) < 1e-9);
    b.recordSuccess(0, false);
    assert.ok(Math.abs(b.tokens - 1) < 1e-9, 'successIncrement 0 gives nothing back');
    assert.equal(b.snapshot().requestIncrement, 0.1);
  });

  it('validates its options', () => {
    assertInvalidOptions(tokenBucketBudget, [
      [{ initialTokens: 0 }, 'Expected `initialTokens` to be a finite number > 0, got 0'],
      [{ retryCost: -5 }],
      [{ timeoutCost: NaN }],
      [{ throttleCost: Infinity }],
      [{ successIncrement: -1 }, 'Expected `successIncrement` to be a finite number >= 0, got -1'],
      [{ requestIncrement: -0.1 }, 'Expected `requestIncrement` to be a finite number >= 0, got -0.1'],
      [null, 'Expected `options` to be an object, got null'],
    ]);
  });

  it('property: retries never exceed the budget (tokens stay in [0, max]; spent <= initial + refunds)', () => {
    const cause = fc.constantFrom<RetryCause | undefined>(undefined, 'error', 'timeout', 'throttle');
    const op = fc.oneof(
      fc.record({ type: fc.constant('request' as const) }),
      fc.record({ type: fc.constant('acquire' as const), cause }),
      fc.record({ type: fc.constant('success' as const), wasRetry: fc.boolean(), cause }),
    );
    const config = fc.record({
      initialTokens: fc.integer({ min: 1, max: 600 }),
      retryCost: fc.integer({ min: 1, max: 20 }),
      timeoutCost: fc.integer({ min: 1, max: 20 }),
    });
    fc.assert(
      fc.property(config, fc.array(op, { maxLength: 400 }), (options, ops) => {
        const b = tokenBucketBudget(options);
        const costOf = (c: RetryCause | undefined): number =>
          c === 'timeout' ? options.timeoutCost : options.retryCost;
        let spent = 0;
        let refunds = 0;
        ops.forEach((o, now) => {
          const before = b.tokens;
          if (o.type === 'request') b.recordRequest();
          else if (o.type === 'acquire') {
            const ok = b.tryAcquire(now, o.cause);
            assert.equal(ok, before >= costOf(o.cause), 'grants exactly when the tokens cover the cost');
            if (ok) spent += costOf(o.cause);
          } else {
            b.recordSuccess(now, o.wasRetry, o.cause);
            refunds += b.tokens - before;
          }
          assert.ok(b.tokens >= 0 && b.tokens <= options.initialTokens);
          assert.ok(spent <= options.initialTokens + refunds, 'never spends more than it was given');
        });
      }),
    );
  });
});
