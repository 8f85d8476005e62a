import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { confirm, guardConfig, idleGuard, observe, suspicion, type GuardState, type Observation } from './guard.js';
import type { DnsAddress } from './types.js';

const addrs = (...list: string[]): DnsAddress[] => list.map((address) => ({ address, family: 4 }));
const answer = (...list: string[]): Observation => ({ kind: 'addresses', addresses: addrs(...list) });
const EMPTY: Observation = { kind: 'empty' };
const NX: Observation = { kind: 'nxdomain' };

describe('guard', () => {
  const config = guardConfig({ holdDown: 300_000, confirmations: 1, maxDropShare: 0.5 });
  const lkg = addrs('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4');

  it('finds empty, NXDOMAIN and large drops suspicious, rotation and small drops not', () => {
    assert.equal(suspicion(lkg, EMPTY, 0.5), 'empty');
    assert.equal(suspicion(lkg, NX, 0.5), 'nxdomain');
    assert.equal(suspicion(lkg, answer(), 0.5), 'empty');
    assert.equal(suspicion(lkg, answer('10.0.0.1'), 0.5), 'drop');
    assert.equal(suspicion(lkg, answer('10.0.0.1', '10.0.0.2'), 0.5), undefined);
    assert.equal(suspicion(lkg, answer('10.9.0.1', '10.9.0.2', '10.9.0.3', '10.9.0.4'), 0.5), undefined);
    assert.equal(suspicion(undefined, NX, 0.5), undefined, 'never guards a name that never resolved');
  });

  it('engages, holds through the hold-down, then releases to the change', () => {
    const engaged = observe(idleGuard, lkg, EMPTY, 1_000, config);
    assert.equal(engaged.action, 'hold');
    assert.deepEqual(engaged.event, { type: 'guard-engaged', reason: 'empty', at: 1_000 });
    const still = observe(engaged.state, lkg, NX, 300_999, config);
    assert.equal(still.action, 'hold');
    assert.equal(still.event, undefined);
    assert.equal(still.state.reason, 'nxdomain');
    const released = observe(still.state, lkg, NX, 301_000, config);
    assert.equal(released.action, 'accept');
    assert.deepEqual(released.event, { type: 'guard-released', reason: 'hold-down', at: 301_000, heldFor: 300_000 });
    assert.equal(released.state, idleGuard);
  });

  it('releases at once when the name recovers', () => {
    const engaged = observe(idleGuard, lkg, EMPTY, 0, config);
    const back = observe(engaged.state, lkg, answer('10.0.0.1', '10.0.0.2', '10.0.0.3'), 10, config);
    assert.equal(back.action, 'accept');
    assert.equal(back.event?.type === 'guard-released' && back.event.reason, 'recovered');
  });

  it('releases when enough independent upstreams agree; a veto blocks the hold-down', () => {
    const two = guardConfig({ holdDown: 1_000, confirmations: 2 });
    let state: GuardState = observe(idleGuard, lkg, EMPTY, 0, two).state;
    const vetoed = confirm(state, lkg, 'b', answer(...lkg.map((a) => a.address)), 10, two);
    assert.equal(vetoed.action, 'hold');
    state = vetoed.state;
    assert.equal(observe(state, lkg, EMPTY, 5_000, two).action, 'hold', 'vetoed past the hold-down');
    const patient = guardConfig({ holdDown: Infinity, confirmations: 2 });
    state = confirm(state, lkg, 'b', EMPTY, 5_001, patient).state; // b changes its mind
    assert.equal(state.engaged, true, 'one of two confirmations');
    const first = confirm(state, lkg, 'c', NX, 5_002, patient);
    assert.equal(first.action, 'accept', 'two agree (b and c): confirmed');
    assert.deepEqual(first.action === 'accept' && first.adopt, EMPTY, 'adopts the primary observation');
    assert.equal(first.event?.type === 'guard-released' && first.event.reason, 'confirmed');
  });

  it('with a zero hold-down and no confirmations it is off', () => {
    const off = guardConfig({ holdDown: 0, confirmations: 0 });
    assert.equal(observe(idleGuard, lkg, EMPTY, 0, off).action, 'accept');
  });

  it('validates its config', () => {
    assert.throws(() => guardConfig({ maxDropShare: -0.1 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => guardConfig({ holdDown: -1 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => guardConfig({ confirmations: 1.5 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.equal(guardConfig({ holdDown: Infinity }).holdDown, Infinity);
  });

  it('holds exactly when the observation is suspicious and the change is younger than the hold-down (property)', () => {
    const observation = fc.oneof(
      fc.constant(EMPTY),
      fc.constant(NX),
      fc.subarray(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']).map((l) => answer(...l)),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(observation, fc.nat(200_000)), { maxLength: 30 }), (steps) => {
        const cfg = guardConfig({ holdDown: 300_000, confirmations: 0 });
        let state: GuardState = idleGuard;
        let now = 0;
        for (const [obs, gap] of steps) {
          now += gap;
          const decision = observe(state, lkg, obs, now, cfg);
          const suspicious = suspicion(lkg, obs, cfg.maxDropShare) !== undefined;
          const since = state.engaged ? state.since : now;
          const shouldHold = suspicious && now - since < cfg.holdDown;
          if ((decision.action === 'hold') !== shouldHold) return false;
          state = decision.state;
        }
        return true;
      }),
    );
  });
});
