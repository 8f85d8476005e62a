/**
 * The contract every policy factory must pass, the policy counterpart of `store/contract.ts`:
 * one parametrised suite run against each factory from `policy/conformance.test.ts`. It checks
 * what the shared shell (`policy/core/policy-base.ts`) promises, so that a policy that bypasses
 * the shell, or a new one, cannot drift:
 *
 * - an already-aborted signal rejects at once with its reason, and `fn` is not called;
 * - a non-function rejects with `FS_ERR_INVALID_ARGUMENT` and is counted nowhere;
 * - options: not an object, an unknown key, `clock: null`, a wrong `random` or `dependency` are
 *   errors with exact messages;
 * - the snapshot: its `kind` is the policy's, `dependency` is `undefined` or the option's string,
 *   and it survives a JSON round trip;
 * - diagnostics: every message on `failsmall:policy:<kind>` is `{ type, kind, dependency, at, … }`;
 * - use inside `pipeline()`: the result comes through, the pipeline's name reaches `ctx.dependency`;
 * - a rejection by the policy itself carries `details.kind`, `details.neverSent` and the dependency
 *   in its message.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';
import type { PolicySnapshot } from '../policy/core/policy-base.js';
import { pipeline } from '../policy/core/pipeline.js';
import type { Policy, PolicyContext } from '../policy/core/types.js';
import type { FailureKind } from '../policy/errors/failure.js';
import { drive } from './policy.js';

/** A policy as the suite sees it. */
export type ConformingPolicy = Policy & { readonly dependency: string | undefined; snapshot(): PolicySnapshot };

/** How the suite builds and exercises one policy factory. */
export interface PolicySubject {
  /** The policy's `kind` (also its channel's last segment). */
  readonly kind: string;
  /**
   * Builds the policy from its options object exactly as given (so the suite can hand it a
   * non-object or an unknown key). `(options) => retry(options as RetryOptions)`.
   */
  readonly factory: (options: unknown) => ConformingPolicy;
  /** Options the factory requires (e.g. bulkhead's `maxConcurrent`); merged under every case's own. */
  readonly base?: Readonly<Record<string, unknown>>;
  /** Whether the factory takes `clock` (and `dependency`) options; default true (only pipeline says no). */
  readonly options?: boolean;
  /** Whether the factory takes a `random` option. */
  readonly random?: boolean;
  /** Makes the policy publish at least one message (it was built with `clock` and `dependency: 'db'`). */
  readonly publish?: (policy: ConformingPolicy, clock: VirtualClock) => Promise<void>;
  /**
   * Makes the policy reject a call by itself (it was built with `clock` and `dependency: 'db'`),
   * returning that call's promise; `code` and `failure` are what the rejection must say.
   */
  readonly rejection?: {
    readonly code: ErrorCode;
    readonly failure: FailureKind;
    readonly neverSent: boolean;
    readonly provoke: (policy: ConformingPolicy, clock: VirtualClock) => Promise<unknown>;
  };
}

const INVALID = 'FS_ERR_INVALID_ARGUMENT';

/** Drops the keys JSON drops (undefined values), for a round-trip comparison. */
function jsonShape(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/**
 * Registers the conformance cases for one policy factory under `describe(name)`.
 *
 * @example
 * registerPolicyConformance('bulkhead', {
 *   kind: 'bulkhead',
 *   factory: (o) => bulkhead(o as BulkheadOptions),
 *   base: { maxConcurrent: 1 },
 * });
 */
export function registerPolicyConformance(name: string, subject: PolicySubject): void {
  const takesOptions = subject.options ?? true;
  const build = (extra: Record<string, unknown> = {}): ConformingPolicy =>
    subject.factory({ ...subject.base, ...extra });
  const withClock = (clock: VirtualClock, dependency?: string): ConformingPolicy =>
    takesOptions
      ? build({ clock, ...(dependency === undefined ? {} : { dependency }) })
      : dependency === undefined
        ? build()
        : (pipeline(build()).named(dependency) as unknown as ConformingPolicy);

  describe(`policy conformance: ${name}`, () => {
    it('runs the call and hands back its value, sync or async', async () => {
      const clock = new VirtualClock();
      const policy = withClock(clock);
      assert.equal(policy.kind, subject.kind);
      assert.deepEqual(
        await drive(
          clock,
          policy.execute(() => 42),
        ),
        { ok: true, value: 42 },
      );
      assert.deepEqual(
        await drive(
          clock,
          policy.execute(async () => 'x'),
        ),
        { ok: true, value: 'x' },
      );
      const error = new Error('sync throw');
      const thrown = await drive(
        clock,
        policy.execute(() => {
          throw error;
        }),
      );
      assert.deepEqual(thrown, { ok: false, error });
    });

    it('rejects at once on an already-aborted signal, without calling fn', async () => {
      const policy = withClock(new VirtualClock());
      const reason = new Error('caller gave up');
      let called = false;
      await assert.rejects(
        policy.execute(() => (called = true), AbortSignal.abort(reason)),
        (e) => e === reason,
      );
      assert.equal(called, false);
      // The same inside a pipeline.
      await assert.rejects(
        pipeline(policy).execute(() => (called = true), AbortSignal.abort(reason)),
        (e) => e === reason,
      );
      assert.equal(called, false);
    });

    it('rejects a non-function with FS_ERR_INVALID_ARGUMENT and counts it nowhere', async () => {
      const policy = withClock(new VirtualClock());
      const before = jsonShape(policy.snapshot());
      const message = 'Expected `fn` to be a function, got object';
      await assert.rejects(policy.execute(null as never), {
        code: INVALID,
        message: 'Expected `fn` to be a function, got null',
      });
      await assert.rejects(policy.execute({} as never), { code: INVALID, message });
      const ctx: PolicyContext = {
        attempt: 1,
        deadline: Infinity,
        signal: new AbortController().signal,
        dependency: undefined,
      };
      await assert.rejects(policy.run(42 as never, ctx), {
        code: INVALID,
        message: 'Expected `fn` to be a function, got number',
      });
      assert.deepEqual(jsonShape(policy.snapshot()), before);
    });

    if (takesOptions) {
      it('validates its options: an object, known keys, clock, random, dependency', () => {
        assert.throws(() => subject.factory(5), {
          code: INVALID,
          message: 'Expected `options` to be an object, got 5',
        });
        assert.throws(() => subject.factory(null), {
          code: INVALID,
          message: 'Expected `options` to be an object, got null',
        });
        assert.throws(
          () => build({ clokc: new VirtualClock() }),
          (e: unknown) => {
            assert.ok(isFailsmallError(e, INVALID));
            assert.match(e.message, /^Unknown option `clokc`; expected one of .*\bclock\b/);
            return true;
          },
        );
        assert.throws(() => build({ clock: null }), {
          code: INVALID,
          message: 'Expected `clock` to be a Clock, got null',
        });
        assert.throws(() => build({ clock: Date }), {
          code: INVALID,
          message: 'Expected `clock` to be a Clock, got a function',
        });
        assert.throws(() => build({ dependency: '' }), {
          code: INVALID,
          message: 'Expected `dependency` to be a non-empty string, got ""',
        });
        assert.throws(() => build({ dependency: 42 }), {
          code: INVALID,
          message: 'Expected `dependency` to be a non-empty string, got 42',
        });
        if (subject.random === true) {
          assert.throws(() => build({ random: null }), {
            code: INVALID,
            message: 'Expected `random` to be a Random, got null',
          });
          assert.throws(() => build({ random: Math.random }), {
            code: INVALID,
            message: 'Expected `random` to be a Random, got a function',
          });
        }
      });
    }

    it('snapshot(): its kind, dependency undefined or the given string, plain JSON', () => {
      const anonymous = takesOptions ? build({ clock: new VirtualClock() }) : build();
      const snap = anonymous.snapshot();
      assert.equal(snap.kind, subject.kind);
      assert.ok('dependency' in snap, 'the snapshot lists `dependency` even when undefined');
      assert.equal(snap.dependency, undefined);
      assert.equal(anonymous.dependency, undefined);
      const { dependency: _dropped, ...rest } = snap;
      assert.deepEqual(jsonShape(snap), jsonShape(rest));
      const named = withClock(new VirtualClock(), 'db');
      assert.equal(named.snapshot().dependency, 'db');
      assert.equal(named.dependency, 'db');
    });

    if (subject.publish !== undefined) {
      const publish = subject.publish;
      it(`publishes { type, kind, dependency, at, … } on failsmall:policy:${subject.kind}`, async () => {
        const clock = new VirtualClock(1_000);
        const policy = withClock(clock, 'db');
        const got: Record<string, unknown>[] = [];
        const listener = (m: unknown): void => void got.push(m as Record<string, unknown>);
        diagnostics.subscribe(`failsmall:policy:${subject.kind}`, listener);
        try {
          await drive(clock, publish(policy, clock));
        } finally {
          diagnostics.unsubscribe(`failsmall:policy:${subject.kind}`, listener);
        }
        assert.ok(got.length > 0, 'at least one message');
        for (const m of got) {
          assert.equal(typeof m['type'], 'string');
          assert.equal(m['kind'], subject.kind);
          assert.equal(m['dependency'], 'db');
          assert.equal(typeof m['at'], 'number');
          assert.ok((m['at'] as number) >= 1_000 && (m['at'] as number) <= clock.now(), 'at is the clock time');
        }
      });
    }

    it('composes inside pipeline(): the value comes through, the name reaches ctx.dependency', async () => {
      const clock = new VirtualClock();
      const policy = withClock(clock);
      const p = pipeline(policy, withClock(clock)).named('orders');
      const seen = await drive(
        clock,
        p.execute((ctx) => ctx.dependency),
      );
      assert.deepEqual(seen, { ok: true, value: 'orders' });
      if (takesOptions) {
        assert.equal(p.snapshot().policies.length, 2);
        assert.equal(p.snapshot().policies[0]!.kind, subject.kind);
      }
    });

    if (subject.rejection !== undefined) {
      const rejection = subject.rejection;
      it(`a rejection of its own says ${rejection.code}, details.kind ${rejection.failure}, neverSent ${rejection.neverSent}`, async () => {
        const clock = new VirtualClock();
        const policy = withClock(clock, 'db');
        const outcome = await drive(clock, rejection.provoke(policy, clock));
        assert.equal(outcome.ok, false, 'the call was rejected');
        const error = (outcome as { ok: false; error: unknown }).error;
        assert.ok(isFailsmallError(error, rejection.code), `rejected with ${rejection.code}: ${String(error)}`);
        assert.equal(error.details?.['kind'], rejection.failure);
        assert.equal(error.details?.['neverSent'], rejection.neverSent);
        assert.equal(error.details?.['dependency'], 'db');
        assert.match(error.message, /\bfor db\b/);
      });
    }
  });
}
