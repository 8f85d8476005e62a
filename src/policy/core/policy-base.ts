/**
 * The shell every policy shares: `execute` and `run`, the checks on the way in, a cached root
 * context, the stackless rejection with the dependency in its message, and one diagnostics
 * envelope on one channel per policy kind (`failsmall:policy:<kind>`). A policy extends
 * {@link PolicyBase}, hands it its options (the shell checks `dependency` and `clock`), and writes
 * only its step, `[kRunChain](chain, next, fn, ctx)` (calling {@link callNext} where it would call
 * `fn`), and its own snapshot fields (the shell puts `kind` and `dependency` first).
 *
 * The way in, for every policy alike:
 * - `fn` is not a function → rejects with `FS_ERR_INVALID_ARGUMENT` (never counted as a failure
 *   of the dependency, never run through the policy);
 * - the caller's signal has already aborted → rejects at once with its reason, `fn` is not called;
 * - no signal → the root context built once at construction (no allocation per call).
 */
import type { Channel } from 'node:diagnostics_channel';
import { abortReason } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { FailsmallError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import { channel } from '../../core/events.js';
import type { Emitter } from '../../core/events.js';
import type { RejectionDetails } from '../errors/failure.js';
import { rootContext } from './context.js';
import { NO_CHAIN, kRunChain } from './fast-path.js';
import type { ChainRunner } from './fast-path.js';
import { clockOption, dependencyOption } from './options.js';
import { stacklessError } from './stackless-error.js';
import type { Policy, PolicyContext, PolicyFn } from './types.js';

/** What every policy snapshot holds: its kind and the dependency it was built for (or undefined). */
export interface PolicySnapshot {
  /** The policy's kind, the same string as `policy.kind` and the channel's last segment. */
  readonly kind: string;
  /** The `dependency` option, or undefined (never null). */
  readonly dependency: string | undefined;
}

/** The options every policy takes, read by the shell. */
export interface PolicyShellOptions {
  /** The dependency's name: a non-empty string, or undefined. */
  readonly dependency?: string | undefined;
  /** Where time comes from; default `systemClock`. */
  readonly clock?: Clock | undefined;
}

/** The envelope of every message a policy publishes on `failsmall:policy:<kind>`. */
export interface PolicyMessage {
  /** What happened, e.g. `retry`, `state-change`, `rejected` (one list per channel in docs/channels.md). */
  readonly type: string;
  /** The publishing policy's kind. */
  readonly kind: string;
  /** The dependency of the call (the context's, else the policy's option), or undefined. */
  readonly dependency: string | undefined;
  /** The policy's clock time, in ms. */
  readonly at: number;
  readonly [key: string]: unknown;
}

function notAFunction(fn: unknown): FailsmallError {
  const shown = fn === null ? 'null' : Array.isArray(fn) ? 'an array' : typeof fn;
  return new FailsmallError('FS_ERR_INVALID_ARGUMENT', `Expected \`fn\` to be a function, got ${shown}`, {
    details: { option: 'fn', expected: 'a function' },
  });
}

/**
 * The base of every policy; `S` is its snapshot type. See the module comment.
 */
export abstract class PolicyBase<S extends PolicySnapshot> implements Policy, ChainRunner {
  /** A short name for events and errors; also the last segment of the policy's diagnostics channel. */
  readonly kind: S['kind'];
  /** The dependency's name, for events, errors and snapshots, when the context carries none. */
  readonly dependency: string | undefined;
  /** Where time comes from (also the `at` of published messages). */
  readonly clock: Clock;
  /** `failsmall:policy:<kind>`: subscribe with `node:diagnostics_channel` (see docs/channels.md). */
  protected readonly channel: Channel;
  readonly #root: PolicyContext;

  /**
   * Checks `options.clock` and `options.dependency` (exact `FS_ERR_INVALID_ARGUMENT` messages, the
   * same for every policy). `clock` is given instead by a policy that derives it otherwise (a
   * timeout takes its timer's).
   */
  protected constructor(kind: S['kind'], options: PolicyShellOptions, clock: Clock = clockOption(options.clock)) {
    this.kind = kind;
    this.dependency = dependencyOption(options.dependency);
    this.clock = clock;
    this.channel = channel('policy', kind);
    this.#root = rootContext(undefined, this.dependency);
  }

  /**
   * Runs `fn` under this policy. `signal` cancels the call; an already-aborted signal rejects at
   * once with its reason and `fn` is not called.
   */
  execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T> {
    if (typeof fn !== 'function') return Promise.reject(notAFunction(fn));
    if (signal === undefined) return this[kRunChain](NO_CHAIN, 0, fn, this.#root);
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return this[kRunChain](NO_CHAIN, 0, fn, rootContext(signal, this.dependency));
  }

  /** Runs `fn` inside a context handed down by an outer policy (see {@link pipeline}). */
  run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    if (typeof fn !== 'function') return Promise.reject(notAFunction(fn));
    return this[kRunChain](NO_CHAIN, 0, fn, ctx);
  }

  /** @internal The policy's step: `fn` through `chain[next..]` under this policy's rules. */
  abstract [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T>;

  /** Plain JSON for metrics: `kind`, `dependency`, then the policy's own fields. */
  snapshot(): S {
    return { kind: this.kind, dependency: this.dependency, ...this.snapshotFields() } as S;
  }

  /** The policy's own fields of its {@link snapshot}: all but `kind` and `dependency`. */
  protected abstract snapshotFields(): Omit<S, keyof PolicySnapshot>;

  /**
   * A stackless `FailsmallError` for a call this policy turns away without running it. The message
   * is `subject + " for <dependency>" + rest` (the suffix only when a dependency is known); details
   * carry `kind`, `neverSent` and `dependency` besides the policy's own fields.
   */
  protected reject(
    code: ErrorCode,
    subject: string,
    rest: string,
    details: RejectionDetails,
    dependency: string | undefined,
  ): FailsmallError {
    const of = dependency === undefined ? '' : ` for ${dependency}`;
    return stacklessError(code, subject + of + rest, { ...details, dependency });
  }

  /**
   * Publishes `{ type, kind, dependency, at, ...payload }` on this policy's channel, if anyone
   * subscribes. `payload` may carry its own `dependency` (the call's) or `at`, which win.
   */
  protected publish(type: string, payload: object, dependency?: string): void {
    const ch = this.channel;
    if (!ch.hasSubscribers) return;
    const message: PolicyMessage = {
      type,
      kind: this.kind,
      dependency: dependency ?? this.dependency,
      at: this.clock.now(),
      ...payload,
    };
    ch.publish(message);
  }

  /**
   * Hands `event` to `emitter`'s listeners and publishes it as `type` on this policy's channel
   * (see {@link publish}), so both ways of watching a policy see the same events. Check
   * `emitter.hasListeners || this.channel.hasSubscribers` first, to build no event nobody reads.
   */
  protected announce<E extends { readonly dependency: string | undefined }>(
    emitter: Emitter<E>,
    type: string,
    event: E,
  ): void {
    emitter.emit(event);
    this.publish(type, event, event.dependency);
  }
}
