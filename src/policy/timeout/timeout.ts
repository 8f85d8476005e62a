/**
 * Timeout: bounds how long one attempt may take, and never lets an attempt outlive the caller's own
 * deadline (`ctx.deadline`): the tighter of the two wins. Two strategies, as in cockatiel and Polly:
 *
 * - `cooperative` (default): at the deadline the context's `signal` aborts with an `FS_ERR_TIMEOUT`
 *   error and the policy waits for `fn` to settle. `fn` should honour the signal (pass it to `fetch`,
 *   the AWS SDK, a socket); the call then rejects with `FS_ERR_TIMEOUT`.
 * - `aggressive`: at the deadline the call rejects at once with `FS_ERR_TIMEOUT` even if `fn` ignores
 *   the signal (which aborts too); whatever `fn` later returns is dropped. It also rejects at once
 *   when the caller's signal aborts.
 *
 * The hot path (cooperative, no caller deadline or signal) allocates one small object per call, the
 * context fn sees, and one reaction on fn's promise: the calls started between two runs of the
 * shared {@link CoarseTimer} form a group with one timer entry and shared handlers (no
 * `setTimeout`, no timer entry and no closure per call), and an `AbortController` is built only if
 * `fn` reads `ctx.signal`. It does not even read the clock: the timer gives the group its start time
 * when it next runs its clock timers (or when something reads `ctx.deadline`), never earlier than
 * the call. Otherwise (a caller deadline or signal, or `aggressive`) a call is its own timer entry.
 * Timeouts fire up to the timer's resolution (10 ms by default) late, plus the time until the event
 * loop next runs timers, never early.
 *
 * @see https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
 */
import { abortReason } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { FailsmallError } from '../../core/errors.js';
import { Emitter } from '../../core/events.js';
import { invalid, oneOf, positiveNumber } from '../../core/validate.js';
import { CoarseTimer, CoarseTimerEntry, coarseTimer } from './coarse-timer.js';
import { isQuietRoot, neverAborted } from '../core/context.js';
import { callNext, kRunChain, markObserved, runChain, takeObserver } from '../core/fast-path.js';
import type { Observer } from '../core/fast-path.js';
import { clockOption, policyOptions } from '../core/options.js';
import { PolicyBase } from '../core/policy-base.js';
import type { PolicySnapshot } from '../core/policy-base.js';
import type { Policy, PolicyContext, PolicyFn } from '../core/types.js';
import type { RejectionDetails } from '../errors/failure.js';

/** How a timeout treats a function that does not stop at the deadline. */
export type TimeoutStrategy = 'cooperative' | 'aggressive';

/** Options of {@link timeout}. */
export interface TimeoutOptions {
  /** `cooperative` (default: abort the signal and wait for `fn`) or `aggressive` (reject at once). */
  readonly strategy?: TimeoutStrategy;
  /** Where time comes from; default {@link systemClock}. */
  readonly clock?: Clock;
  /** The coarse timer to file deadlines in; default the one shared for `clock` (10 ms resolution). */
  readonly timer?: CoarseTimer;
  /** The dependency's name, for events, errors and the snapshot, when the context carries none. */
  readonly dependency?: string;
}

const KNOWN_OPTIONS: readonly (keyof TimeoutOptions)[] = ['strategy', 'clock', 'timer', 'dependency'];

/** Emitted when a call runs out of time. */
export interface TimeoutEvent {
  /** The policy's timeout, in milliseconds (Infinity when only the caller's deadline applied). */
  readonly timeout: number;
  /** Milliseconds from the start of the call to the moment the timeout fired. */
  readonly elapsed: number;
  /** `timeout` when this policy's own limit fired, `deadline` when the caller's tighter deadline did. */
  readonly source: 'timeout' | 'deadline';
  readonly strategy: TimeoutStrategy;
  readonly dependency: string | undefined;
}

/** Plain numbers for metrics: see {@link TimeoutPolicy.snapshot}. */
export interface TimeoutSnapshot extends PolicySnapshot {
  readonly kind: 'timeout';
  readonly timeout: number;
  readonly strategy: TimeoutStrategy;
  /** Calls started. */
  readonly calls: number;
  /** Calls that ran out of time. */
  readonly timeouts: number;
}

/** Calls the rest of the chain and turns a synchronous throw into a rejection. */
async function invoke<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
  return callNext(chain, next, fn, ctx);
}

const FIRED = 1; // the timeout fired
const DONE = 2; // settled (cooperative: fn settled; aggressive: the promise settled)

/**
 * One call under a timeout: its derived context (with a lazy `signal`), its coarse-timer entry and
 * its state, all in one object. It is also the `abort` listener on the caller's signal
 * (`handleEvent`), so chaining costs no closure. Fields are kept few: this is the one allocation
 * per call besides the promise.
 */
class TimeoutCall extends CoarseTimerEntry implements PolicyContext {
  /** FIRED | DONE bits. */
  flags = 0;
  error: FailsmallError | undefined = undefined;
  controller: AbortController | undefined = undefined;
  /** The caller's signal while this call listens to it. */
  listening: AbortSignal | undefined = undefined;
  /** Aggressive only: the settlers of the promise handed to the caller. */
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((reason: unknown) => void) | undefined = undefined;

  /** The clock time the call started (NaN until the coarse timer pins it: see `deadline`). */
  start: number;
  #deadline: number;

  constructor(
    readonly policy: TimeoutPolicy,
    readonly parent: PolicyContext,
    deadline: number,
    start: number,
  ) {
    super();
    this.#deadline = deadline;
    this.start = start;
  }

  /**
   * The absolute deadline. A call filed without a clock read (no caller deadline) gets its start
   * time from the coarse timer at the latest here: reading the deadline pins it.
   */
  get deadline(): number {
    // Not waiting in the timer's intake any more (settled before it was pinned): pin it here.
    if (this.start !== this.start && this.policy.timer.pin(this) !== this.start) this._pinned(this.policy.clock.now());
    return this.#deadline;
  }

  override _pinned(now: number): void {
    this.start = now;
    this.#deadline = now + this.policy.timeout;
  }

  get attempt(): number {
    return this.parent.attempt;
  }

  get dependency(): string | undefined {
    return this.parent.dependency;
  }

  /** `deadline` when the caller's deadline was tighter than this policy's own limit. */
  get source(): 'timeout' | 'deadline' {
    return this.deadline < this.start + this.policy.timeout ? 'deadline' : 'timeout';
  }

  /** Built on first read: aborted already if the timeout fired or the caller gave up. */
  get signal(): AbortSignal {
    let controller = this.controller;
    if (controller === undefined) {
      controller = this.controller = new AbortController();
      if ((this.flags & FIRED) !== 0) controller.abort(this.error);
      else if ((this.flags & DONE) === 0) {
        const parent = this.parent.signal;
        if (parent.aborted) controller.abort(abortReason(parent));
        else this.listen(parent);
      }
    }
    return controller.signal;
  }

  listen(parent: AbortSignal): void {
    if (parent === neverAborted || this.listening !== undefined) return;
    this.listening = parent;
    parent.addEventListener('abort', this);
  }

  unlisten(): void {
    if (this.listening === undefined) return;
    this.listening.removeEventListener('abort', this);
    this.listening = undefined;
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    const reason = abortReason(this.listening!);
    this.controller?.abort(reason);
    if (this.reject !== undefined && (this.flags & DONE) === 0) {
      this.flags |= DONE;
      this.policy.timer.remove(this);
      this.unlisten();
      this.reject(reason);
    }
  }

  onTimeout(): void {
    if ((this.flags & DONE) !== 0) return;
    this.flags |= FIRED;
    const policy = this.policy;
    const elapsed = policy.clock.now() - this.start;
    const error = (this.error = timeoutError(policy, this.source, this.dependency, elapsed));
    policy.noteTimeout(this.source, this.dependency, elapsed);
    this.controller?.abort(error);
    if (this.reject !== undefined) {
      this.flags |= DONE;
      this.unlisten();
      this.reject(error);
    }
  }

  /** Cooperative: `fn` settled. */
  settle(): void {
    this.flags |= DONE;
    if (this._bucket !== null) this.policy.timer.remove(this);
    if (this.listening !== undefined) this.unlisten();
  }

  /** Aggressive: `fn` settled; forward unless the timeout or the caller got there first. */
  finish(ok: boolean, value: unknown): void {
    if ((this.flags & DONE) !== 0) return;
    this.flags |= DONE;
    this.policy.timer.remove(this);
    this.unlisten();
    if (ok) this.resolve!(value);
    else this.reject!(value);
  }
}

/**
 * The calls on the fast path between two pinnings of the coarse timer (see `addDeferred`): they
 * all get the same start time (the pin), hence the same deadline, so ONE timer entry, a count of
 * calls not yet settled and two handlers shared by all of them stand in for an entry, a reaction
 * closure and a settle per call. Nothing per call is held: a call that settles only decrements
 * `pending`. When the group falls due with calls pending, they have run out of time: each counts
 * one timeout, the signals built for them abort, and a failure that follows becomes FS_ERR_TIMEOUT
 * (as {@link failure} does per call). A call that reads `ctx.signal` is watched on its own
 * (`signalled`), so that a signal never aborts once its call has settled.
 */
class TimeoutGroup extends CoarseTimerEntry {
  /** Calls that joined and have not settled. */
  pending = 0;
  /** The start time of every call of the group (NaN until pinned). */
  start = NaN;
  /** Set when the group fell due with calls pending: the reason their signals abort with. */
  error: FailsmallError | undefined = undefined;
  /** Calls that read `ctx.signal` and have not settled (null until one does). */
  signalled: Set<GroupedCall> | null = null;
  readonly dependency: string | undefined;
  readonly ok: (value: unknown) => unknown;
  readonly fail: (error: unknown) => unknown;

  constructor(
    readonly policy: TimeoutPolicy,
    readonly parent: PolicyContext,
    /** The outer step's observer its calls run (see `Observer` in fast-path.ts); changed only while none is pending. */
    public outer: Observer | undefined,
  ) {
    super();
    this.dependency = parent.dependency;
    this.ok = (value) => {
      this.pending--;
      const outer = this.outer;
      return outer === undefined ? value : outer.ok(value);
    };
    this.fail = (error) => {
      this.pending--;
      const seen =
        this.error === undefined
          ? error
          : afterTimeout(this.policy, this.error, error, 'timeout', this.dependency, this.start);
      const outer = this.outer;
      if (outer === undefined) throw seen;
      return outer.fail(seen);
    };
  }

  override _pinned(now: number): void {
    this.start = now;
    // Later calls start after the pin: they need a group (and a deadline) of their own.
    if (this.policy.group === this) this.policy.group = undefined;
  }

  /** The deadline of every call of the group; reading it pins the start. */
  get deadline(): number {
    if (this.start !== this.start) this.policy.timer.pin(this);
    return this.start + this.policy.timeout;
  }

  onTimeout(): void {
    if (this.policy.group === this) this.policy.group = undefined;
    const pending = this.pending;
    if (pending === 0) return; // every call settled in time
    const policy = this.policy;
    const elapsed = policy.clock.now() - this.start;
    const error = (this.error = timeoutError(policy, 'timeout', this.dependency, elapsed));
    for (let i = 0; i < pending; i++) policy.noteTimeout('timeout', this.dependency, elapsed);
    const signalled = this.signalled;
    this.signalled = null;
    if (signalled !== null) for (const call of signalled) call.controller!.abort(error);
  }
}

/** Watches a grouped call that built its signal, so that the group never aborts it once it settled. */
function watch(call: GroupedCall): void {
  (call.group.signalled ??= new Set()).add(call);
  const done = (): void => void call.group.signalled?.delete(call);
  call.promise!.then(done, done);
}

/** The context fn sees on the fast path: four fields; the signal is built only if fn reads it. */
class GroupedCall implements PolicyContext {
  controller: AbortController | undefined = undefined;
  /** fn's promise (once fn has returned). */
  promise: Promise<unknown> | undefined = undefined;
  constructor(readonly group: TimeoutGroup) {}

  get attempt(): number {
    return this.group.parent.attempt;
  }

  get dependency(): string | undefined {
    return this.group.dependency;
  }

  get deadline(): number {
    return this.group.deadline;
  }

  get signal(): AbortSignal {
    let controller = this.controller;
    if (controller === undefined) {
      controller = this.controller = new AbortController();
      const group = this.group;
      if (group.error !== undefined) controller.abort(group.error);
      else if (this.promise !== undefined) watch(this); // read after fn returned
    }
    return controller.signal;
  }
}

function timeoutError(
  policy: TimeoutPolicy,
  source: 'timeout' | 'deadline',
  dependency: string | undefined,
  elapsed: number,
  cause?: unknown,
  neverSent = false,
): FailsmallError {
  dependency ??= policy.dependency;
  const of = dependency === undefined ? '' : ` for ${dependency}`;
  const message =
    source === 'timeout'
      ? `Timed out${of} after ${policy.timeout} ms`
      : `The caller's deadline passed${of} (after ${Math.round(elapsed)} ms)`;
  const details: RejectionDetails = {
    kind: 'timeout',
    // Only a call that ran out of time before it started provably never reached the dependency.
    neverSent,
    timeout: policy.timeout,
    elapsed,
    source,
    strategy: policy.strategy,
    dependency,
  };
  return new FailsmallError('FS_ERR_TIMEOUT', message, cause === undefined ? { details } : { cause, details });
}

/**
 * The error the caller sees when `fn` failed: after the timeout fired, whatever `fn` threw because of
 * it becomes FS_ERR_TIMEOUT (the signal's own reason when fn threw it, or an AbortError wrapping it
 * as node:timers does; else a new one that keeps fn's error as its cause).
 */
function failure(call: TimeoutCall, error: unknown): unknown {
  if ((call.flags & FIRED) === 0) return error;
  return afterTimeout(call.policy, call.error!, error, call.source, call.dependency, call.start);
}

/** {@link failure} once the timeout `fired` (the error the signal aborted with) for a call started at `start`. */
function afterTimeout(
  policy: TimeoutPolicy,
  fired: FailsmallError,
  error: unknown,
  source: 'timeout' | 'deadline',
  dependency: string | undefined,
  start: number,
): unknown {
  if (error === fired) return error;
  if (typeof error === 'object' && error !== null && (error as { cause?: unknown }).cause === fired) return fired;
  return timeoutError(policy, source, dependency, policy.clock.now() - start, error);
}

/**
 * Cooperative: runs the rest of the chain and settles `call` when it does. One reaction on fn's
 * promise whose two handlers share one small closure (the call): measured cheaper in time and in
 * bytes than an async frame, which V8 makes larger (about 490 B per call against 330 B here).
 */
function cooperative<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, call: TimeoutCall): Promise<T> {
  let result: T | PromiseLike<T>;
  try {
    result = next === chain.length ? fn(call) : runChain(chain, next, fn, call);
  } catch (error) {
    const seen = failure(call, error);
    call.settle();
    return Promise.reject(seen);
  }
  return Promise.resolve(result).then(
    (value) => {
      call.settle();
      return value;
    },
    (error: unknown) => {
      const seen = failure(call, error);
      call.settle();
      throw seen;
    },
  );
}

async function pump<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, call: TimeoutCall): Promise<void> {
  try {
    call.finish(true, await callNext(chain, next, fn, call));
  } catch (error) {
    call.finish(false, error);
  }
}

/**
 * Limits each call to `timeout` ms and to the caller's deadline, whichever is tighter. Build it
 * with {@link timeout}.
 */
export class TimeoutPolicy extends PolicyBase<TimeoutSnapshot> {
  /** The limit per call, in milliseconds (Infinity: only the caller's deadline applies). */
  readonly timeout: number;
  readonly strategy: TimeoutStrategy;
  /** @internal */
  readonly timer: CoarseTimer;
  /** Every call that ran out of time. */
  readonly onTimeout = new Emitter<TimeoutEvent>();
  readonly #cooperative: boolean;
  #calls = 0;
  #timeouts = 0;

  constructor(ms: number, given?: TimeoutOptions) {
    const options = policyOptions(given, KNOWN_OPTIONS);
    const timer = options.timer;
    if (timer !== undefined && !(timer instanceof CoarseTimer)) invalid('timer', 'a CoarseTimer', timer);
    // The timer's clock when only a timer is given: deadlines and the timer must share one clock.
    const clock = options.clock === undefined && timer !== undefined ? timer.clock : clockOption(options.clock);
    super('timeout', options, clock);
    this.timeout = ms === Infinity ? ms : positiveNumber('ms', ms);
    this.strategy = oneOf('strategy', options.strategy ?? 'cooperative', ['cooperative', 'aggressive']);
    this.timer = timer ?? coarseTimer(clock);
    this.#cooperative = this.strategy === 'cooperative';
  }

  /** @internal The policy's step (see policy-base.ts). */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    this.#calls++;
    // An outer breaker's handlers, to run in this call's reaction instead of one of its own.
    const outer = takeObserver(this);
    const callerDeadline = ctx.deadline;
    let call: TimeoutCall;
    if (callerDeadline === Infinity) {
      if (this.timeout === Infinity) return invoke(chain, next, fn, ctx);
      if (this.#cooperative && isQuietRoot(ctx) && ctx.dependency === this.dependency) {
        return this.#grouped(chain, next, fn, ctx, outer);
      }
      // No caller deadline: no clock read per call (a system call on some VMs, dearer than the
      // call itself); the coarse timer gives the call its start time a little later, never earlier.
      call = new TimeoutCall(this, ctx, NaN, NaN);
      this.timer.addDeferred(call, this.timeout);
    } else {
      const now = this.clock.now();
      const deadline = Math.min(now + this.timeout, callerDeadline);
      call = new TimeoutCall(this, ctx, deadline, now);
      if (deadline <= now) {
        // Out of time before it starts: do not call fn at all.
        call.flags = FIRED | DONE;
        call.error = timeoutError(this, call.source, call.dependency, 0, undefined, true);
        this.noteTimeout(call.source, call.dependency, 0);
        return Promise.reject(call.error);
      }
      this.timer.addAt(call, deadline);
    }
    if (this.#cooperative) return cooperative(chain, next, fn, call);
    return new Promise<T>((resolve, reject) => {
      call.resolve = resolve as (value: unknown) => void;
      call.reject = reject;
      const parent = ctx.signal;
      if (parent.aborted) {
        call.flags |= DONE;
        this.timer.remove(call);
        reject(abortReason(parent));
        return;
      }
      call.listen(parent);
      void pump(chain, next, fn, call);
    });
  }

  /**
   * The fast path (cooperative, no caller deadline, a root context whose signal never aborts): the
   * call joins the current {@link TimeoutGroup} (see there). Per call: the context fn sees and one
   * reaction on fn's promise with the group's shared handlers; no timer entry, no closure.
   */
  #grouped<T>(
    chain: readonly Policy[],
    next: number,
    fn: PolicyFn<T>,
    ctx: PolicyContext,
    outer: Observer | undefined,
  ): Promise<T> {
    let group = this.group;
    if (group !== undefined && group.outer !== outer) {
      // The group's calls run one outer observer: a call with another joins a group of its own.
      if (group.pending === 0) group.outer = outer;
      else group = undefined;
    }
    if (group === undefined) {
      group = this.group = new TimeoutGroup(this, ctx, outer);
      this.timer.addDeferred(group, this.timeout);
    }
    const call = new GroupedCall(group);
    group.pending++;
    let result: T | PromiseLike<T>;
    try {
      result = next === chain.length ? fn(call) : runChain(chain, next, fn, call);
    } catch (error) {
      group.pending--;
      group.signalled?.delete(call);
      return Promise.reject(error);
    }
    const settled = (call.promise = Promise.resolve(result));
    // fn read ctx.signal already: watch this call (it must not be aborted once it has settled).
    if (call.controller !== undefined) watch(call);
    if (outer !== undefined) markObserved();
    return settled.then(group.ok as (value: T) => T, group.fail as (error: unknown) => never);
  }

  /** @internal The group that calls on the fast path join, until the timer pins its start. */
  group: TimeoutGroup | undefined = undefined;

  /** @internal Counts a timeout and tells listeners. */
  noteTimeout(source: 'timeout' | 'deadline', dependency: string | undefined, elapsed: number): void {
    this.#timeouts++;
    if (!this.onTimeout.hasListeners && !this.channel.hasSubscribers) return;
    const event: TimeoutEvent = { timeout: this.timeout, elapsed, source, strategy: this.strategy, dependency };
    this.announce(this.onTimeout, 'timeout', event);
  }

  protected snapshotFields(): Omit<TimeoutSnapshot, keyof PolicySnapshot> {
    return {
      timeout: this.timeout,
      strategy: this.strategy,
      calls: this.#calls,
      timeouts: this.#timeouts,
    };
  }
}

/**
 * A policy that gives each call at most `ms` milliseconds, and never more than the caller's
 * deadline.
 *
 * @param ms - the limit per call in milliseconds (> 0, or Infinity to apply only the caller's
 *   deadline). No default: a timeout must be chosen for the dependency it guards.
 * @example
 * const perAttempt = timeout(2_000); // cooperative: ctx.signal aborts at 2 s
 * const res = await perAttempt.execute(({ signal }) => fetch(url, { signal }));
 *
 * const hard = timeout(500, { strategy: 'aggressive' }); // rejects at 500 ms even if fn ignores it
 */
export function timeout(ms: number, options?: TimeoutOptions): TimeoutPolicy {
  return new TimeoutPolicy(ms, options);
}
