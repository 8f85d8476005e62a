import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { seededRandom } from '../core/random.js';
import { HealthMonitor, type Escalation, type FaultyCheck, type SetChange } from './monitor.js';
import { providerSource, type HealthTarget } from './source.js';
import { MemoryHealthStore, type HealthStore } from './store.js';
import { twoCheckersAgree } from '../test-support/health-store-contract.js';

const targets: HealthTarget[] = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, address: `127.0.0.${i + 2}`, port: 1 }));

/** A source whose answers the test sets per target. */
function scripted(name: string, answers: Map<string, unknown>) {
  return providerSource(name, (t) => answers.get(t.id) ?? true, { rise: 1, fall: 1, faultyAfter: 1 });
}

function monitor(extra: Partial<ConstructorParameters<typeof HealthMonitor>[0]> = {}) {
  const clock = new VirtualClock(0);
  const one = new Map<string, unknown>();
  const two = new Map<string, unknown>();
  const m = new HealthMonitor({
    targets,
    sources: [scripted('nlb', one), scripted('outside', two)],
    guardrails: { maxRemovedShare: 0.25, floor: 0.5, holdDown: 0, slowStart: false },
    clock,
    random: seededRandom(1),
    ...extra,
  });
  const changes: SetChange[] = [];
  const escalations: Escalation[] = [];
  const faulty: FaultyCheck[] = [];
  m.onChange((c) => changes.push(c));
  m.onEscalation((e) => escalations.push(e));
  m.onFaulty((f) => faulty.push(f));
  return { m, clock, one, two, changes, escalations, faulty };
}

describe('HealthMonitor', () => {
  it('publishes each round on failsmall:health:monitor with the vote per target', async () => {
    const { m, one, two } = monitor();
    one.set('a', false);
    two.set('a', false);
    const published: Record<string, unknown>[] = [];
    const sub = (message: unknown): void => void published.push(message as Record<string, unknown>);
    diagnostics.subscribe('failsmall:health:monitor', sub);
    try {
      await m.evaluate();
    } finally {
      diagnostics.unsubscribe('failsmall:health:monitor', sub);
    }
    const round = published.find((p) => p['type'] === 'round')!;
    assert.equal(round['set'], 'default');
    assert.equal(round['mode'], 'normal');
    const decisions = round['decisions'] as Record<string, { verdict: string }>;
    assert.equal(decisions['a']!.verdict, 'down');
    assert.equal(decisions['b']!.verdict, 'up');
    assert.deepEqual(
      published.map((p) => p['type']),
      ['change', 'round'],
    );
  });

  it('removes a target only when both independent sources say down', async () => {
    const { m, one, two, changes, escalations } = monitor();
    one.set('a', false);
    const r1 = await m.evaluate();
    assert.equal(r1.decisions['a']!.reason, 'disagreement');
    assert.equal(changes.length, 0);
    assert.deepEqual(
      escalations.map((e) => [e.reason, e.targets]),
      [['disagreement', ['a']]],
    );
    two.set('a', false);
    await m.evaluate();
    assert.deepEqual(
      changes.map((c) => [c.target, c.change, c.reason, c.by]),
      [['a', 'removed', 'unhealthy', 'automation']],
    );
    assert.deepEqual(
      m.healthy().map((h) => h.id),
      ['b', 'c', 'd'],
    );
  });

  it('a monitor that calls everything dead fails open; velocity holds the rest back', async () => {
    const { m, one, two, escalations } = monitor();
    for (const t of targets) {
      one.set(t.id, false);
      two.set(t.id, false);
    }
    const r = await m.evaluate();
    assert.equal(r.mode, 'fail-open');
    assert.equal(m.healthy().length, 4);
    assert.ok(escalations.some((e) => e.reason === 'fail-open'));
    one.set('d', true);
    two.set('d', true);
    const r2 = await m.evaluate();
    assert.equal(r2.mode, 'normal');
    assert.equal(m.healthy().length, 3, 'one removal per window (25 % of 4)');
    assert.ok(escalations.some((e) => e.reason === 'velocity'));
  });

  it('a probe that throws or answers garbage is faulty and never a down vote; the process stays up', async () => {
    const clock = new VirtualClock(0);
    const m = new HealthMonitor({
      targets,
      sources: [
        providerSource('broken', () => {
          throw new TypeError('bug in the probe');
        }),
        providerSource('garbage', () => 'yes' as unknown),
      ],
      quorum: 1,
      guardrails: { holdDown: 0 },
      clock,
    });
    const faulty: FaultyCheck[] = [];
    m.onFaulty((f) => faulty.push(f));
    for (let i = 0; i < 5; i++) await m.evaluate();
    assert.equal(m.healthy().length, 4);
    assert.equal(faulty.length, 5 * 2 * 4);
    assert.ok(faulty[0]!.problem instanceof TypeError);
    assert.equal(m.snapshot().faultyChecks, 40);
  });

  it('a check with no answer in time is a fail, on the injected clock', async () => {
    const clock = new VirtualClock(0);
    const m = new HealthMonitor({
      targets: targets.slice(0, 2),
      sources: [
        providerSource('hang', (t) => (t.id === 'a' ? new Promise(() => undefined) : true), { fall: 1, rise: 1 }),
      ],
      guardrails: { holdDown: 0, floor: 0, maxRemovedShare: 1 },
      timeout: 500,
      clock,
    });
    const round = m.evaluate();
    await clock.advance(500);
    const r = await round;
    assert.equal(r.decisions['a']!.verdict, 'down');
    assert.deepEqual(
      m.healthy().map((h) => h.id),
      ['b'],
    );
  });

  it('passive outlier detection votes with the active sources', async () => {
    const { m, one } = monitor({ passive: { consecutive5xx: 3, maxEjectedShare: 0.5 } });
    one.set('b', false);
    for (let i = 0; i < 3; i++) m.recordTraffic('b', 500);
    const r = await m.evaluate();
    assert.equal(r.decisions['b']!.down, 2);
    assert.equal(r.decisions['b']!.verdict, 'down', 'two of three sources (majority)');
  });

  it('respects isolate, release and freeze', async () => {
    const { m, one, two, changes } = monitor();
    await m.isolate('c', 'alice');
    assert.deepEqual(changes.at(-1), {
      set: 'default',
      target: 'c',
      change: 'removed',
      reason: 'isolated',
      at: 0,
      by: 'alice',
    });
    await m.evaluate();
    assert.deepEqual(
      m.healthy().map((h) => h.id),
      ['a', 'b', 'd'],
    );
    await m.release('c');
    await m.evaluate();
    assert.equal(m.healthy().length, 4);
    await m.freeze();
    one.set('a', false);
    two.set('a', false);
    const r = await m.evaluate();
    assert.equal(r.mode, 'frozen');
    assert.equal(m.healthy().length, 4);
    await assert.rejects(m.isolate('zz'), /Expected `target` to be a target of set "default", got "zz"/);
  });

  it('runs rounds on the clock with jitter until stopped', async () => {
    const { m, clock } = monitor({ interval: 1000, jitter: 0.1 });
    m.start();
    for (let i = 0; i < 20; i++) await clock.advance(200);
    m.stop();
    const rounds = m.snapshot().rounds;
    assert.ok(rounds >= 4 && rounds <= 6, `rounds ${rounds}`);
    for (let i = 0; i < 20; i++) await clock.advance(200);
    assert.equal(m.snapshot().rounds, rounds);
  });

  it('rejects invalid configuration with exact messages', () => {
    const clock = new VirtualClock(0);
    const s = providerSource('x', () => true);
    assert.throws(() => new HealthMonitor({ targets: [], sources: [s] }), /Expected `targets` to be a non-empty array/);
    assert.throws(() => new HealthMonitor({ targets, sources: [s, s] }), /Expected `sources\[1\].name` to be a unique/);
    assert.throws(
      () => new HealthMonitor({ targets, sources: [s], quorum: 2 }),
      /Expected `quorum` to be an integer from 1 to 1/,
    );
    assert.throws(
      () => new HealthMonitor({ targets, sources: [s], clock: null as never }),
      /Expected `clock` to be a Clock/,
    );
    assert.throws(
      () => new HealthMonitor({ targets, sources: [s], intervl: 1 } as never),
      /Expected `intervl` to be a known option/,
    );
    assert.throws(
      () => new HealthMonitor({ targets: [targets[0]!, targets[0]!], sources: [s], clock }),
      /Expected `targets\[1\].id` to be unique in the set, got "a"/,
    );
    assert.throws(
      () => new HealthMonitor({ targets, sources: [s], guardrails: { floor: -1 } }),
      /Expected `guardrails.floor`/,
    );
  });

  it("checkers sharing a store count each other's votes and agree on one set", async () => {
    const store = new MemoryHealthStore();
    await twoCheckersAgree(store, store);
  });

  it('gives up a round with FS_ERR_HEALTH_CONFLICT when other writers keep winning', async () => {
    const inner = new MemoryHealthStore();
    const racing: HealthStore = {
      putVotes: (v) => inner.putVotes(v),
      votes: (s, since) => inner.votes(s, since),
      readSet: (s) => inner.readSet(s),
      writeSet: async (s, state) => {
        const current = await inner.readSet(s);
        await inner.writeSet(s, state, current?.version ?? 0); // someone else wrote first, every time
        return { ok: false, current: (await inner.readSet(s))! };
      },
      appendChange: (c) => inner.appendChange(c),
      changes: (s, q) => inner.changes(s, q),
      close: () => inner.close(),
    };
    const m = new HealthMonitor({
      targets,
      sources: [providerSource('p', () => true)],
      store: racing,
      checker: 'x',
      clock: new VirtualClock(0),
    });
    await assert.rejects(m.evaluate(), (e: unknown) => (e as { code?: string }).code === 'FS_ERR_HEALTH_CONFLICT');
    assert.throws(
      () => new HealthMonitor({ targets, sources: [providerSource('p', () => true)], store: inner }),
      /Expected `checker` to be a non-empty string \(required with store\)/,
    );
  });
});
