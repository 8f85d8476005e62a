import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  confirm,
  defaultGuardConfig,
  evidenceFresh,
  guardConfig,
  idleGuard,
  observe,
  reachable,
  releaseDue,
  suspicion,
  unreachable,
  type GuardDecision,
  type GuardState,
  type Observation,
} from './guard.js';
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

  describe('reachability evidence', () => {
    const cfg = guardConfig({ holdDown: 300_000, reachableWithin: 60_000, maxHold: 3_600_000, confirmations: 0 });

    it('has defaults that outlast the 2 h 37 min of 2025-10-20', () => {
      assert.equal(defaultGuardConfig.holdWhileReachable, true);
      assert.equal(defaultGuardConfig.reachableWithin, 300_000);
      assert.equal(defaultGuardConfig.maxHold, 86_400_000);
      assert.ok(defaultGuardConfig.maxHold > (2 * 60 + 37) * 60_000);
      assert.equal(guardConfig({ holdDown: Infinity }).maxHold, Infinity, 'an infinite hold-down is not capped');
      assert.equal(guardConfig({ holdDown: 48 * 3_600_000 }).maxHold, 48 * 3_600_000);
    });

    it('keeps the set past the hold-down while an address answers, releases once the evidence is stale', () => {
      let state: GuardState = observe(idleGuard, lkg, EMPTY, 0, cfg).state;
      for (let t = 30_000; t <= 900_000; t += 30_000) {
        state = reachable(state, lkg, '10.0.0.2', t);
        const d: GuardDecision = observe(state, lkg, EMPTY, t + 1, cfg);
        assert.equal(d.action, 'hold', `held at ${t}`);
        state = d.state;
        assert.equal(evidenceFresh(state, t + 1, cfg), true);
      }
      assert.equal(releaseDue(state, 959_999, cfg), undefined);
      const released = observe(state, lkg, EMPTY, 960_000, cfg);
      assert.equal(released.action, 'accept');
      assert.equal(released.event?.type === 'guard-released' && released.event.reason, 'hold-down');
    });

    it('failures of every address void the evidence at once; of some, not', () => {
      let state: GuardState = observe(idleGuard, lkg, EMPTY, 0, cfg).state;
      state = reachable(state, lkg, '10.0.0.1', 299_000);
      state = unreachable(state, lkg, '10.0.0.1', 300_000);
      state = unreachable(state, lkg, '10.0.0.2', 300_000);
      state = unreachable(state, lkg, '10.0.0.3', 300_000);
      assert.equal(observe(state, lkg, EMPTY, 300_001, cfg).action, 'hold', 'one address not yet failed');
      assert.equal(unreachable(state, lkg, '10.0.0.3', 300_000), state, 'a repeated failure changes nothing');
      state = unreachable(state, lkg, '10.0.0.4', 300_000);
      assert.equal(state.reachableAt, -Infinity);
      assert.equal(releaseDue(state, 300_001, cfg), 'hold-down');
      assert.equal(observe(state, lkg, EMPTY, 300_001, cfg).action, 'accept');
    });

    it('ignores reports when idle, for other addresses, and when disabled', () => {
      assert.equal(reachable(idleGuard, lkg, '10.0.0.1', 5), idleGuard, 'idle: the same object');
      assert.equal(unreachable(idleGuard, lkg, '10.0.0.1', 5), idleGuard);
      const held = observe(idleGuard, lkg, EMPTY, 0, cfg).state;
      assert.equal(reachable(held, lkg, '192.0.2.1', 5), held, 'not in the set');
      const off = guardConfig({ holdDown: 300_000, confirmations: 0, holdWhileReachable: false });
      const evidence = reachable(observe(idleGuard, lkg, EMPTY, 0, off).state, lkg, '10.0.0.1', 299_999);
      assert.equal(observe(evidence, lkg, EMPTY, 300_000, off).action, 'accept');
    });

    it('releases at maxHold whatever the evidence or vetoes, and keeps confirmed and recovered', () => {
      const one = guardConfig({ holdDown: 300_000, reachableWithin: 60_000, maxHold: 3_600_000, confirmations: 1 });
      let state: GuardState = observe(idleGuard, lkg, EMPTY, 0, one).state;
      state = confirm(state, lkg, 'b', answer('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'), 1, one).state;
      state = reachable(state, lkg, '10.0.0.1', 3_599_999);
      assert.equal(observe(state, lkg, EMPTY, 3_599_999, one).action, 'hold');
      const capped = observe(state, lkg, EMPTY, 3_600_000, one);
      assert.equal(capped.event?.type === 'guard-released' && capped.event.reason, 'max-hold');
      const fresh = reachable(observe(idleGuard, lkg, EMPTY, 0, one).state, lkg, '10.0.0.1', 10);
      const agreed = confirm(fresh, lkg, 'b', EMPTY, 20, one);
      assert.equal(
        agreed.event?.type === 'guard-released' && agreed.event.reason,
        'confirmed',
        'evidence does not block confirmation',
      );
      const back = observe(fresh, lkg, answer('10.0.0.1', '10.0.0.2', '10.0.0.3'), 30, one);
      assert.equal(back.event?.type === 'guard-released' && back.event.reason, 'recovered');
    });

    it('validates the new options', () => {
      assert.throws(() => guardConfig({ reachableWithin: -1 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
      assert.throws(() => guardConfig({ maxHold: -1 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
      assert.throws(() => guardConfig({ holdDown: 60_000, maxHold: 1_000 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
      assert.throws(() => guardConfig({ holdWhileReachable: 'yes' as unknown as boolean }), {
        code: 'FS_ERR_INVALID_ARGUMENT',
      });
    });

    // A random walk of observations and reports over a set of 4 and a name that never resolved.
    const step = fc.oneof(
      fc.record({ kind: fc.constant('observe' as const), obs: fc.constantFrom(EMPTY, NX, answer('10.0.0.1')) }),
      fc.record({ kind: fc.constant('up' as const), address: fc.constantFrom('10.0.0.1', '10.0.0.4', '10.9.9.9') }),
      fc.record({
        kind: fc.constant('down' as const),
        address: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'),
      }),
    );
    const walk = fc.array(fc.tuple(step, fc.nat(120_000)), { maxLength: 60 });
    type Walk = typeof walk extends fc.Arbitrary<infer T> ? T : never;

    /**
     * Plays `steps` from `start` over `known` (`lkg`, or undefined for a name that never resolved),
     * up to `until` ms: reports go to reachable/unreachable, observations to `onObserve`, which
     * returns the next state, or a verdict that ends the walk. Returns the last state or the verdict.
     */
    const play = (
      start: GuardState,
      known: readonly DnsAddress[] | undefined,
      steps: Walk,
      onObserve: (state: GuardState, obs: Observation, now: number) => GuardState | boolean,
      until = Infinity,
    ): GuardState | boolean => {
      let state = start;
      let now = 0;
      for (const [s, gap] of steps) {
        now += gap;
        if (now >= until) break;
        if (s.kind === 'up') state = reachable(state, known, s.address, now);
        else if (s.kind === 'down') state = unreachable(state, known, s.address, now);
        else {
          const next = onObserve(state, s.obs, now);
          if (typeof next === 'boolean') return next;
          state = next;
        }
      }
      return state;
    };

    it('never releases on the hold-down while the evidence is fresh (property)', () => {
      fc.assert(
        fc.property(
          walk,
          (steps) =>
            play(observe(idleGuard, lkg, EMPTY, 0, cfg).state, lkg, steps, (state, obs, now) => {
              const fresh = evidenceFresh(state, now, cfg);
              const d: GuardDecision = observe(state, lkg, obs, now, cfg);
              const reason = d.event?.type === 'guard-released' ? d.event.reason : undefined;
              if (fresh && reason === 'hold-down') return false;
              return d.action === 'accept' ? observe(idleGuard, lkg, EMPTY, now, cfg).state : d.state;
            }) !== false,
        ),
      );
    });

    it('always releases by maxHold (property)', () => {
      fc.assert(
        fc.property(walk, fc.nat(10_000), (steps, late) => {
          const end = play(
            observe(idleGuard, lkg, EMPTY, 0, cfg).state,
            lkg,
            steps,
            (state, _obs, now) => {
              const d: GuardDecision = observe(state, lkg, EMPTY, now, cfg); // the change persists
              return d.action === 'accept' ? true : d.state; // released earlier: fine
            },
            cfg.maxHold,
          );
          if (typeof end === 'boolean') return end;
          // Whatever happened, a suspicious answer at maxHold is believed.
          const state = reachable(end, lkg, '10.0.0.1', cfg.maxHold + late);
          return observe(state, lkg, NX, cfg.maxHold + late, cfg).action === 'accept';
        }),
      );
    });

    it('never invents addresses for a name that never resolved (property)', () => {
      fc.assert(
        fc.property(
          walk,
          (steps) =>
            play(idleGuard, undefined, steps, (state, obs, now) => {
              const d: GuardDecision = observe(state, undefined, obs, now, cfg);
              return d.action !== 'accept' || d.adopt !== obs || d.state.engaged ? false : d.state;
            }) === idleGuard,
        ),
      );
    });
  });
});
