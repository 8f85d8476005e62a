import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { seededRandom } from '../../core/random.js';
import {
  Admit,
  Outcome,
  acquire,
  breakerConfig,
  createMachine,
  isolate,
  machineFromJSON,
  machineToJSON,
  record,
  release,
  reset,
  tick,
} from './state.js';
import type { Admission, BreakerConfig, BreakerMachine, BreakerStateName, CallOutcome } from './state.js';

/** 3 failures in a row open it for 1 s; 2 probes at once, 2 successes close it; `overrides` set raw fields. */
function config(overrides: Partial<BreakerConfig> = {}): BreakerConfig {
  const base = breakerConfig(
    { strategy: { kind: 'consecutive', failures: 3 }, halfOpenAfter: 1_000, probes: 2, successThreshold: 2 },
    seededRandom(1),
  );
  return { ...base, ...overrides };
}

/** The transitions a breaker may make; anything else is a bug (e.g. closed → half-open). */
const ALLOWED = new Set([
  'closed>open',
  'closed>isolated',
  'open>half-open',
  'open>closed', // reset
  'open>isolated',
  'half-open>open',
  'half-open>closed',
  'half-open>isolated',
  'isolated>closed', // release or reset
]);

// ---------------------------------------------------------------------------------------------
// Model-based test: a small, independently written model of the consecutive breaker predicts
// every admission and state; the real machine must agree after each command.
// ---------------------------------------------------------------------------------------------

interface Model {
  state: BreakerStateName;
  now: number;
  gen: number;
  consecutive: number;
  openedAt: number;
  inFlight: number;
  successes: number;
  isolations: number;
}

interface Real {
  readonly config: BreakerConfig;
  readonly m: BreakerMachine;
  now: number;
  /** Calls in flight: the generation each was admitted under. */
  calls: number[];
  transitions: string[];
  maxInFlight: number;
}

const FAILURES = 3;
const HALF_OPEN_AFTER = 1_000;
const PROBES = 2;
const SUCCESSES = 2;

function moveModel(model: Model, state: BreakerStateName): void {
  model.state = state;
  model.gen++;
  model.inFlight = 0;
  model.successes = 0;
  if (state === 'open') model.openedAt = model.now;
  if (state === 'closed') model.consecutive = 0;
}

function observe(real: Real, model: Model, step: () => void): void {
  const from = real.m.state;
  const gen = real.m.gen;
  step();
  if (real.m.gen !== gen) real.transitions.push(`${from}>${real.m.state}`);
  real.maxInFlight = Math.max(real.maxInFlight, real.m.inFlight);
  for (const t of real.transitions) assert.ok(ALLOWED.has(t), `illegal transition ${t}`);
  assert.ok(real.m.inFlight <= PROBES, 'more probes in flight than allowed');
  assert.equal(real.m.state, model.state);
  assert.equal(real.m.inFlight, model.inFlight);
  if (model.state === 'closed') assert.ok(real.m.consecutive < FAILURES);
}

class AcquireCommand implements fc.Command<Model, Real> {
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    // model
    let expected: Admission;
    if (model.state === 'open' && model.now >= model.openedAt + HALF_OPEN_AFTER) moveModel(model, 'half-open');
    if (model.state === 'closed') expected = Admit.CALL;
    else if (model.state === 'isolated') expected = Admit.REJECT_ISOLATED;
    else if (model.state === 'open' || model.inFlight >= PROBES) expected = Admit.REJECT_OPEN;
    else {
      model.inFlight++;
      expected = Admit.PROBE;
    }
    // real
    let admission: Admission | undefined;
    observe(real, model, () => (admission = acquire(real.config, real.m, real.now)));
    assert.equal(admission, expected);
    if (admission === Admit.CALL || admission === Admit.PROBE) real.calls.push(real.m.gen);
  }
  toString = (): string => 'acquire';
}

class CompleteCommand implements fc.Command<Model, Real> {
  constructor(
    readonly which: number,
    readonly outcome: CallOutcome,
  ) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    if (real.calls.length === 0) return;
    const [gen] = real.calls.splice(this.which % real.calls.length, 1) as [number];
    if (gen === model.gen) {
      if (model.state === 'half-open') {
        model.inFlight--;
        if (this.outcome === Outcome.FAILURE) moveModel(model, 'open');
        else if (this.outcome === Outcome.SUCCESS && ++model.successes >= SUCCESSES) moveModel(model, 'closed');
      } else if (model.state === 'closed' && this.outcome !== Outcome.IGNORED) {
        if (this.outcome === Outcome.SUCCESS) model.consecutive = 0;
        else if (++model.consecutive >= FAILURES) moveModel(model, 'open');
      }
    }
    const opensBefore = real.m.state !== 'open';
    observe(real, model, () => record(real.config, real.m, real.now, gen, this.outcome, 0));
    if (opensBefore && real.m.state === 'open') assert.equal(real.m.halfOpenAt, real.now + HALF_OPEN_AFTER);
  }
  toString = (): string => `complete(${this.which}, ${this.outcome})`;
}

class AdvanceCommand implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    model.now += this.ms;
    real.now += this.ms;
    if (model.state === 'open' && model.now >= model.openedAt + HALF_OPEN_AFTER) moveModel(model, 'half-open');
    observe(real, model, () => tick(real.m, real.now));
  }
  toString = (): string => `advance(${this.ms})`;
}

class ManualCommand implements fc.Command<Model, Real> {
  constructor(readonly action: 'isolate' | 'release' | 'reset') {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    if (this.action === 'isolate') {
      model.isolations++;
      if (model.state !== 'isolated') moveModel(model, 'isolated');
      observe(real, model, () => isolate(real.m, real.now));
    } else if (this.action === 'release') {
      if (model.isolations > 0 && --model.isolations === 0 && model.state === 'isolated') moveModel(model, 'closed');
      observe(real, model, () => release(real.m, real.now));
    } else {
      model.isolations = 0;
      if (model.state !== 'closed') moveModel(model, 'closed');
      else model.consecutive = 0;
      observe(real, model, () => reset(real.m, real.now));
    }
  }
  toString = (): string => this.action;
}

describe('breakerConfig', () => {
  it("fills in the breaker's defaults: 5 failures in a row open it for 30 s, one probe closes it", () => {
    const random = seededRandom(1);
    const { halfOpenAfter, ...rest } = breakerConfig({}, random);
    assert.deepEqual(rest, {
      strategy: 'consecutive',
      failures: 5,
      size: 0,
      failureRate: 1,
      minimumCalls: 1,
      buckets: 1,
      bucketWidth: 1,
      slowCallDuration: Infinity,
      slowCallRate: Infinity,
      random,
      probes: 1,
      successThreshold: 1,
    });
    assert.equal(halfOpenAfter.next(1, 0, random), 30_000);
  });

  it('splits a time window into buckets and keeps a given backoff', () => {
    const backoff = { kind: 'constant', next: () => 7 };
    const cfg = breakerConfig(
      { strategy: { kind: 'time', duration: 10_000, buckets: 10 }, slowCall: { duration: 50 }, halfOpenAfter: backoff },
      seededRandom(1),
    );
    assert.deepEqual(
      [cfg.strategy, cfg.buckets, cfg.bucketWidth, cfg.failureRate, cfg.minimumCalls, cfg.slowCallRate],
      ['time', 10, 1_000, 0.5, 10, 0.5],
    );
    assert.equal(cfg.halfOpenAfter, backoff);
  });

  it('rejects invalid options with FS_ERR_INVALID_ARGUMENT', () => {
    for (const options of [
      { strategy: { kind: 'count', size: 2, minimumCalls: 3 } },
      { strategy: { kind: 'consecutive' }, slowCall: { duration: 10 } },
      { halfOpenAfter: -1 },
      { probes: 0 },
    ] as const) {
      assert.throws(() => breakerConfig(options, seededRandom(1)), { code: 'FS_ERR_INVALID_ARGUMENT' });
    }
  });
});

describe('breaker machine: model-based', () => {
  it('agrees with the model and never makes an illegal transition', () => {
    const commands = [
      fc.constant(new AcquireCommand()),
      fc.constant(new AcquireCommand()),
      fc
        .tuple(
          fc.nat(),
          fc.constantFrom<CallOutcome>(Outcome.SUCCESS, Outcome.FAILURE, Outcome.FAILURE, Outcome.IGNORED),
        )
        .map(([w, o]) => new CompleteCommand(w, o)),
      fc.integer({ min: 0, max: 1_500 }).map((ms) => new AdvanceCommand(ms)),
      fc.constantFrom('isolate', 'release', 'reset').map((a) => new ManualCommand(a as 'isolate')),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 200 }), (cmds) => {
        const cfg = config({ failures: FAILURES, probes: PROBES, successThreshold: SUCCESSES });
        const model: Model = {
          state: 'closed',
          now: 0,
          gen: 0,
          consecutive: 0,
          openedAt: 0,
          inFlight: 0,
          successes: 0,
          isolations: 0,
        };
        const real: Real = {
          config: cfg,
          m: createMachine(cfg, 0),
          now: 0,
          calls: [],
          transitions: [],
          maxInFlight: 0,
        };
        fc.modelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: 300 },
    );
  });

  it('opens exactly when the consecutive threshold is crossed', () => {
    const cfg = config({ failures: 3 });
    const m = createMachine(cfg, 0);
    const fail = (): void => record(cfg, m, 0, m.gen, Outcome.FAILURE, 0);
    fail();
    fail();
    record(cfg, m, 0, m.gen, Outcome.SUCCESS, 0);
    fail();
    fail();
    assert.equal(m.state, 'closed');
    fail();
    assert.equal(m.state, 'open');
    assert.equal(m.reason, 'consecutive-failures');
  });
});

// ---------------------------------------------------------------------------------------------
// Windows: the machine's incremental counts against a naive recount of the raw call list.
// ---------------------------------------------------------------------------------------------

describe('breaker machine: windows', () => {
  it('count window: opens exactly when the last N calls cross the failure or slow rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.array(fc.record({ failed: fc.boolean(), duration: fc.integer({ min: 0, max: 200 }) }), { maxLength: 80 }),
        (size, minimum, failureRate, slowCallRate, calls) => {
          const minimumCalls = Math.min(minimum, size);
          const cfg = config({
            strategy: 'count',
            size,
            minimumCalls,
            failureRate,
            slowCallRate,
            slowCallDuration: 100,
          });
          const m = createMachine(cfg, 0);
          let history: { failed: boolean; slow: boolean }[] = [];
          for (const call of calls) {
            assert.equal(m.state as string, 'closed');
            record(cfg, m, 0, m.gen, call.failed ? Outcome.FAILURE : Outcome.SUCCESS, call.duration);
            history.push({ failed: call.failed, slow: call.duration > 100 });
            const window = history.slice(-size);
            const failures = window.filter((c) => c.failed).length;
            const slow = window.filter((c) => c.slow).length;
            const judged = window.length >= minimumCalls;
            const shouldOpen =
              judged && (failures >= failureRate * window.length || slow >= slowCallRate * window.length);
            assert.equal(m.state === 'open', shouldOpen);
            if (shouldOpen) {
              assert.equal(m.reason, failures >= failureRate * window.length ? 'failure-rate' : 'slow-call-rate');
              reset(m, 0);
              history = [];
            } else {
              assert.deepEqual([m.calls, m.failures, m.slow], [window.length, failures, slow]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('time window: counts only calls in the last `buckets` buckets, with a minimum throughput', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.array(fc.record({ failed: fc.boolean(), gap: fc.integer({ min: 0, max: 150 }) }), { maxLength: 80 }),
        (buckets, width, minimumCalls, failureRate, calls) => {
          const cfg = config({ strategy: 'time', buckets, bucketWidth: width, minimumCalls, failureRate });
          const m = createMachine(cfg, 0);
          let now = 0;
          let history: { at: number; failed: boolean }[] = [];
          for (const call of calls) {
            now += call.gap;
            record(cfg, m, now, m.gen, call.failed ? Outcome.FAILURE : Outcome.SUCCESS, 0);
            history.push({ at: now, failed: call.failed });
            const oldest = Math.floor(now / width) - buckets + 1;
            const window = history.filter((c) => Math.floor(c.at / width) >= oldest);
            const failures = window.filter((c) => c.failed).length;
            const shouldOpen = window.length >= minimumCalls && failures >= failureRate * window.length;
            assert.equal(m.state === 'open', shouldOpen, JSON.stringify({ window, now }));
            if (shouldOpen) {
              reset(m, now);
              history = [];
            } else assert.deepEqual([m.calls, m.failures], [window.length, failures]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('breaker machine: half-open and manual control', () => {
  it('goes half-open only at halfOpenAt, and a slow probe re-opens', () => {
    const cfg = config({ strategy: 'count', size: 2, minimumCalls: 2, failureRate: 0.5, slowCallDuration: 50 });
    const m = createMachine(cfg, 0);
    record(cfg, m, 0, m.gen, Outcome.FAILURE, 0);
    record(cfg, m, 0, m.gen, Outcome.FAILURE, 0);
    assert.equal(m.state, 'open');
    assert.equal(acquire(cfg, m, 999), Admit.REJECT_OPEN);
    assert.equal(acquire(cfg, m, 1_000), Admit.PROBE);
    assert.equal(m.state, 'half-open');
    record(cfg, m, 1_100, m.gen, Outcome.SUCCESS, 100);
    assert.equal(m.state, 'open');
    assert.equal(m.reason, 'probe-slow');
    assert.equal(m.opens, 2);
  });

  it('feeds the number of openings to a halfOpenAfter backoff', () => {
    const seen: [number, number][] = [];
    const cfg = config({
      failures: 1,
      successThreshold: 1,
      halfOpenAfter: { kind: 'test', next: (opens, previous) => (seen.push([opens, previous]), opens * 100) },
    });
    const m = createMachine(cfg, 0);
    record(cfg, m, 0, m.gen, Outcome.FAILURE, 0);
    assert.equal(m.halfOpenAt, 100);
    tick(m, 100);
    record(cfg, m, 100, m.gen, Outcome.FAILURE, 0); // the probe fails
    assert.equal(m.halfOpenAt, 300);
    tick(m, 300);
    assert.equal(acquire(cfg, m, 300), Admit.PROBE);
    record(cfg, m, 300, m.gen, Outcome.SUCCESS, 0);
    assert.equal(m.state, 'closed');
    record(cfg, m, 400, m.gen, Outcome.FAILURE, 0);
    assert.equal(m.halfOpenAt, 500, 'a close resets the openings count');
    assert.deepEqual(seen, [
      [1, 0],
      [2, 100],
      [1, 0],
    ]);
  });

  it('never stays open forever because of a faulty backoff', () => {
    const cfg = config({ failures: 1, halfOpenAfter: { kind: 'bad', next: () => NaN } });
    const m = createMachine(cfg, 0);
    record(cfg, m, 5, m.gen, Outcome.FAILURE, 0);
    assert.equal(m.halfOpenAt, 5);
  });

  it('ignores outcomes of calls admitted before a transition', () => {
    const cfg = config({ failures: 1 });
    const m = createMachine(cfg, 0);
    const old = m.gen;
    isolate(m, 0);
    release(m, 0);
    record(cfg, m, 0, old, Outcome.FAILURE, 0);
    assert.equal(m.state, 'closed');
  });

  it('an ignored probe frees its slot and counts for nothing', () => {
    const cfg = config({ failures: 1, probes: 1, successThreshold: 1 });
    const m = createMachine(cfg, 0);
    record(cfg, m, 0, m.gen, Outcome.FAILURE, 0);
    assert.equal(acquire(cfg, m, 1_000), Admit.PROBE);
    assert.equal(acquire(cfg, m, 1_000), Admit.REJECT_OPEN);
    record(cfg, m, 1_000, m.gen, Outcome.IGNORED, 0);
    assert.equal(m.state, 'half-open');
    assert.equal(acquire(cfg, m, 1_000), Admit.PROBE);
  });
});

describe('breaker machine: serialisation', () => {
  it('round-trips every strategy through JSON', () => {
    for (const cfg of [
      config(),
      config({ strategy: 'count', size: 4, minimumCalls: 4, failureRate: 0.9 }),
      config({ strategy: 'time', buckets: 3, bucketWidth: 100, minimumCalls: 10, failureRate: 0.9 }),
    ]) {
      const m = createMachine(cfg, 0);
      record(cfg, m, 10, m.gen, Outcome.FAILURE, 0);
      record(cfg, m, 20, m.gen, Outcome.SUCCESS, 0);
      record(cfg, m, 30, m.gen, Outcome.FAILURE, 0);
      const json = JSON.parse(JSON.stringify(machineToJSON(cfg, m))) as unknown;
      const back = machineFromJSON(cfg, json, 40)!;
      assert.deepEqual(
        [back.state, back.consecutive, back.calls, back.failures],
        [m.state, m.consecutive, m.calls, m.failures],
      );
      assert.deepEqual(machineToJSON(cfg, back), machineToJSON(cfg, m));
    }
  });

  it('keeps the state but drops a window recorded under another strategy', () => {
    const count = config({ strategy: 'count', size: 4, minimumCalls: 4 });
    const m = createMachine(count, 0);
    record(count, m, 0, m.gen, Outcome.FAILURE, 0);
    const back = machineFromJSON(config(), machineToJSON(count, m), 0)!;
    assert.equal(back.state, 'closed');
    assert.equal(back.consecutive, 0);
  });

  it('rejects what is not a breaker state', () => {
    const cfg = config();
    for (const bad of [null, 1, {}, { version: 2 }, { ...machineToJSON(cfg, createMachine(cfg, 0)), state: 'ajar' }]) {
      assert.equal(machineFromJSON(cfg, bad, 0), undefined);
    }
  });
});
