import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  evaluateSet,
  floorCount,
  guardrails,
  initialSet,
  removalsPerWindow,
  type SetOutcome,
  type SetState,
} from './guardrails.js';
import type { TargetVerdict } from './quorum.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);
const inSet = (o: SetOutcome) => o.members.filter((m) => m.inSet).map((m) => m.id);
const all = (n: number, v: TargetVerdict) => Object.fromEntries(ids(n).map((id) => [id, v]));

describe('guardrails', () => {
  it('removes a down target and re-adds it with a slow-start weight', () => {
    const g = guardrails({ holdDown: 0, slowStart: { window: 1000 } });
    const a = evaluateSet(initialSet(ids(10)), { n3: 'down' }, 0, g);
    assert.deepEqual(
      a.members.find((m) => m.id === 'n3'),
      { id: 'n3', inSet: false, change: 'removed', reason: 'unhealthy', weight: 0 },
    );
    assert.equal(a.mode, 'normal');
    assert.deepEqual(a.escalations, []);
    const b = evaluateSet(a.state, { n3: 'up' }, 100, g);
    assert.equal(b.members.find((m) => m.id === 'n3')!.change, 'added');
    assert.equal(b.members.find((m) => m.id === 'n3')!.weight, 0.1);
    const c = evaluateSet(b.state, { n3: 'up' }, 600, g);
    assert.equal(c.members.find((m) => m.id === 'n3')!.weight, 0.5);
    assert.equal(c.members.find((m) => m.id === 'n0')!.weight, 1);
  });

  it('limits removals per window and escalates the rest (velocity control)', () => {
    const g = guardrails({ maxRemovedShare: 0.2, window: 600_000, floor: 0, holdDown: 0 });
    const down = Object.fromEntries(ids(4).map((id) => [id, 'down' as const]));
    const a = evaluateSet(initialSet(ids(10)), down, 0, g);
    assert.deepEqual(inSet(a).length, 8);
    assert.deepEqual(a.escalations, [{ reason: 'velocity', targets: ['n2', 'n3'] }]);
    const b = evaluateSet(a.state, down, 599_999, g);
    assert.equal(inSet(b).length, 8, 'still inside the window');
    const c = evaluateSet(b.state, down, 600_000, g);
    assert.equal(inSet(c).length, 6, 'the first removals left the window');
  });

  it('never goes below the floor, and fails open when every target is down', () => {
    const g = guardrails({ maxRemovedShare: 1, floor: 0.5, holdDown: 0 });
    const a = evaluateSet(initialSet(ids(4)), { n0: 'down', n1: 'down', n2: 'down', n3: 'up' }, 0, g);
    assert.equal(inSet(a).length, 2);
    assert.deepEqual(a.escalations, [{ reason: 'floor', targets: ['n2'] }]);
    const b = evaluateSet(a.state, all(4, 'down'), 1, g);
    assert.equal(b.mode, 'fail-open');
    assert.deepEqual(inSet(b), ids(4));
    assert.ok(b.members.every((m) => m.weight === 1 && m.reason === 'fail-open'));
    assert.deepEqual(b.escalations, [{ reason: 'fail-open', targets: ids(4) }]);
  });

  it('routes to all below the panic threshold', () => {
    const g = guardrails({ maxRemovedShare: 1, floor: 0, panicThreshold: 0.5, holdDown: 0 });
    const o = evaluateSet(initialSet(ids(4)), { n0: 'down', n1: 'down', n2: 'down' }, 0, g);
    assert.equal(o.mode, 'panic');
    assert.equal(inSet(o).length, 4);
  });

  it('holds a target whose sources disagree, and damps flaps with the hold-down', () => {
    const g = guardrails({ maxRemovedShare: 1, floor: 0, holdDown: 60_000 });
    const a = evaluateSet(initialSet(ids(3)), { n0: 'hold', n1: 'down' }, 0, g);
    assert.deepEqual(inSet(a), ['n0', 'n2']);
    assert.equal(a.members[0]!.reason, 'hold');
    const b = evaluateSet(a.state, { n1: 'up' }, 30_000, g);
    assert.equal(b.members[1]!.reason, 'hold-down');
    assert.equal(b.members[1]!.inSet, false);
    const c = evaluateSet(b.state, { n1: 'up' }, 60_000, g);
    assert.equal(c.members[1]!.inSet, true);
  });

  it('respects a human: isolated targets are out, a frozen set does not move', () => {
    const g = guardrails({ holdDown: 0 });
    const s0 = initialSet(ids(3));
    const isolated: SetState = { ...s0, members: { ...s0.members, n0: { inSet: true, override: 'isolate' } } };
    const a = evaluateSet(isolated, { n0: 'up' }, 0, g);
    assert.deepEqual(inSet(a), ['n1', 'n2']);
    assert.equal(a.members[0]!.reason, 'isolated');
    assert.deepEqual(a.state.removals, [], 'a human isolation does not spend the velocity budget');
    const frozen = evaluateSet({ ...s0, frozen: true }, all(3, 'down'), 0, g);
    assert.equal(frozen.mode, 'frozen');
    assert.deepEqual(inSet(frozen), ids(3));
  });

  it('rejects bad options with exact messages', () => {
    assert.throws(() => guardrails({ floor: 2 }), /Expected `floor` to be a number between 0 and 1, got 2/);
    assert.throws(() => guardrails({ velocity: 1 } as never), /Expected `velocity` to be a known option/);
    assert.throws(() => guardrails({ failOpen: 'yes' as never }), /Expected `failOpen` to be a boolean/);
    assert.throws(
      () => guardrails({ slowStart: { window: -1 } }),
      /Expected `slowStart.window` to be a finite number >= 0/,
    );
  });

  it('property: over random histories no window holds more automatic removals than allowed, the floor holds, fail-open holds and a hold never removes', () => {
    const verdict = fc.constantFrom<TargetVerdict | undefined>('up', 'down', 'hold', undefined);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.record({
          maxRemovedShare: fc.double({ min: 0, max: 1, noNaN: true }),
          floor: fc.double({ min: 0, max: 1, noNaN: true }),
          holdDown: fc.integer({ min: 0, max: 5_000 }),
          window: fc.integer({ min: 1, max: 20_000 }),
          failOpen: fc.boolean(),
        }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4_000 }), fc.array(verdict, { minLength: 12, maxLength: 12 })), {
          maxLength: 40,
        }),
        (n, options, steps) => {
          const g = guardrails({ ...options, slowStart: false });
          let state = initialSet(ids(n));
          let now = 0;
          const removedAt: number[] = [];
          for (const [dt, vs] of steps) {
            now += dt;
            const verdicts = Object.fromEntries(ids(n).map((id, i) => [id, vs[i]]));
            const before = state;
            const o = evaluateSet(state, verdicts, now, g);
            state = o.state;
            const members = new Map(o.members.map((m) => [m.id, m]));
            for (const id of ids(n)) {
              const m = members.get(id)!;
              if (m.change === 'removed') {
                removedAt.push(now);
                assert.equal(verdicts[id], 'down', 'only a down verdict removes');
              }
              if (verdicts[id] === 'hold' || verdicts[id] === undefined)
                assert.equal(m.inSet, before.members[id]!.inSet || o.mode === 'fail-open', 'a hold keeps its state');
            }
            const inWindow = removedAt.filter((t) => t > now - g.window).length;
            assert.ok(inWindow <= removalsPerWindow(g, n), `velocity: ${inWindow} removals in one window`);
            const count = o.members.filter((m) => m.inSet).length;
            const removedNow = o.members.some((m) => m.change === 'removed');
            if (removedNow) assert.ok(count >= floorCount(g, n), 'floor');
            if (g.failOpen && ids(n).every((id) => verdicts[id] === 'down') && o.mode !== 'frozen')
              assert.equal(count, n, 'fail-open routes to all when every source says down');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
