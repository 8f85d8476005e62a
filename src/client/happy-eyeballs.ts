/**
 * Connection racing over an address set (Happy Eyeballs v2, RFC 8305 §5), generic over what an
 * attempt produces so that the decision logic runs on a {@link VirtualClock} in tests with fake
 * attempts, and on real sockets in the connector.
 *
 * Unlike Node's `autoSelectFamily`, which aborts an attempt that has not connected within 250 ms
 * whenever another address is left, a slow attempt here keeps running while the next one starts: the
 * first to connect wins, the others are cancelled. A failed attempt starts the next one at once.
 */
import { FailsmallError, abortReason, staggeredRace, type Clock, type RaceAttempt } from '../core/index.js';
import type { Address } from './address-order.js';

/** What became of one attempt of a race. */
export interface AttemptRecord {
  /** The address tried. */
  readonly address: string;
  /** Its family. */
  readonly family: 4 | 6;
  /** `connected` (the winner), `failed` (the attempt rejected), `cancelled` (another won or the caller aborted), `timeout` (the race timed out while it ran). */
  readonly outcome: 'connected' | 'failed' | 'cancelled' | 'timeout';
  /** The error code of a failed attempt (`ECONNREFUSED`, …), if it had one. */
  readonly code?: string;
  /** How long the attempt ran, in milliseconds of the race's clock. */
  readonly ms: number;
}

/** Options of {@link raceAddresses}. */
export interface RaceOptions<T> {
  /** The clock for the stagger delay and the overall timeout. */
  readonly clock: Clock;
  /**
   * How long to wait for an attempt before starting the next one in parallel, in milliseconds
   * (RFC 8305's "Connection Attempt Delay"). Infinity tries strictly one after another, moving on
   * only when an attempt fails.
   */
  readonly attemptDelay: number;
  /** How long the whole race may take, in milliseconds; Infinity for no limit. */
  readonly timeout: number;
  /** Cancels the race: every attempt is cancelled and the race rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Releases a value that arrives after the race was decided (e.g. destroys a late socket). */
  readonly dispose?: ((value: T) => void) | undefined;
  /** Names the target in error messages, e.g. `dynamodb.lab.test:8000`. */
  readonly target?: string | undefined;
}

/** The outcome of a won race. */
export interface RaceResult<T> {
  /** What the winning attempt produced. */
  readonly value: T;
  /** The winning address. */
  readonly address: Address;
  /** Every attempt started, in start order. */
  readonly attempts: AttemptRecord[];
}

/** Reads a string `code` from an error-like value. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * A connect that did not finish in time, shaped like the operating system's own (`code: 'ETIMEDOUT'`,
 * `syscall: 'connect'`) so that SDKs that classify network errors by code (the AWS SDK, got) see it as
 * the transient error it is.
 */
export function connectTimedOut(address: string, port: number | undefined): Error {
  const where = port === undefined ? address : `${address}:${port}`;
  return Object.assign(new Error(`connect ETIMEDOUT ${where}`), {
    code: 'ETIMEDOUT',
    syscall: 'connect',
    address,
    ...(port === undefined ? {} : { port }),
  });
}

/**
 * Tries `addresses` in order, staggered by `attemptDelay`, and resolves with the first attempt that
 * succeeds; the others are cancelled through their signal (and `dispose`d if they succeed anyway).
 * An adapter over the core {@link staggeredRace}: a loser's signal aborts with `FS_ERR_RACE_LOST`,
 * every running attempt's with the `ETIMEDOUT` error when `timeout` passes, with the caller's reason
 * when the caller aborts.
 *
 * Rejects with `FS_ERR_CLIENT_NO_ADDRESSES` for an empty set, `FS_ERR_CLIENT_CONNECT_FAILED` when every
 * attempt failed (its `cause` is the last attempt's error, `details.attempts` lists them all),
 * `FS_ERR_CLIENT_CONNECT_TIMEOUT` when `timeout` passes first (its `cause` an `ETIMEDOUT` error), or the
 * signal's reason when the caller aborts.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8305#section-5
 * @example
 * const { value: socket } = await raceAddresses(addresses, (a, signal) => tcpConnect(a, 443, signal), {
 *   clock: systemClock, attemptDelay: 250, timeout: 10_000, dispose: (s) => s.destroy(),
 * });
 */
export function raceAddresses<T>(
  addresses: readonly Address[],
  attempt: (address: Address, signal: AbortSignal) => Promise<T>,
  options: RaceOptions<T>,
): Promise<RaceResult<T>> {
  const { clock, attemptDelay, timeout, signal, dispose, target } = options;
  if (addresses.length === 0) {
    return Promise.reject(
      new FailsmallError('FS_ERR_CLIENT_NO_ADDRESSES', `No address to connect to${target ? ` for ${target}` : ''}`, {
        details: { target },
      }),
    );
  }
  if (signal?.aborted) return Promise.reject(abortReason(signal));

  // The attempts that started and have not ended, in start order, and what became of each.
  const running = new Map<number, RaceAttempt>();
  const records: (AttemptRecord | undefined)[] = [];
  const record = (a: RaceAttempt, outcome: AttemptRecord['outcome'], code?: string): void => {
    running.delete(a.attempt);
    const { address, family } = addresses[a.attempt - 1]!;
    records[a.attempt - 1] = {
      address,
      family,
      outcome,
      ...(code === undefined ? {} : { code }),
      ms: clock.now() - a.started,
    };
  };
  const attemptsSoFar = (): AttemptRecord[] => records.filter((r): r is AttemptRecord => r !== undefined);
  const endRunning = (outcome: 'cancelled' | 'timeout'): void => {
    for (const a of [...running.values()]) record(a, outcome);
  };

  // The race's signal: the caller's, or one that also aborts when `timeout` passes.
  let raceSignal = signal;
  let timedOut: Error | undefined;
  let cleanup = (): void => {};
  if (Number.isFinite(timeout)) {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(abortReason(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const cancelTimeout = clock.setTimer(
      () => {
        const first = running.values().next().value?.attempt;
        timedOut = connectTimedOut(addresses[(first ?? 1) - 1]!.address, undefined);
        controller.abort(timedOut);
      },
      timeout,
      { unref: true },
    );
    raceSignal = controller.signal;
    cleanup = () => {
      cancelTimeout();
      signal?.removeEventListener('abort', onAbort);
    };
  }

  let winner: Address | undefined;
  return staggeredRace((a) => attempt(addresses[a.attempt - 1]!, a.signal), {
    attempts: addresses.length,
    delay: Number.isNaN(attemptDelay) ? Infinity : Math.max(0, attemptDelay), // as before: NaN never staggers, < 0 is 0
    clock,
    signal: raceSignal,
    unref: true,
    onStart: (a) => void running.set(a.attempt, a),
    onFailure: (a, error) => record(a, 'failed', errorCode(error)),
    onWin: (a) => {
      winner = addresses[a.attempt - 1]!;
      record(a, 'connected');
    },
    dispose: dispose === undefined ? undefined : (value) => dispose(value),
    toError: (failures) => {
      const attempts = attemptsSoFar();
      return new FailsmallError(
        'FS_ERR_CLIENT_CONNECT_FAILED',
        `Could not connect to any of the ${attempts.length} address(es)${target ? ` of ${target}` : ''}: ${attempts
          .map((a) => `${a.address} ${a.code ?? 'failed'}`)
          .join(', ')}`,
        { cause: failures[failures.length - 1]?.error, details: { target, attempts } },
      );
    },
  }).then(
    (value) => {
      cleanup();
      endRunning('cancelled');
      return { value, address: winner!, attempts: attemptsSoFar() };
    },
    (error: unknown) => {
      cleanup();
      if (timedOut !== undefined && error === timedOut) {
        endRunning('timeout');
        throw new FailsmallError(
          'FS_ERR_CLIENT_CONNECT_TIMEOUT',
          `Could not connect${target ? ` to ${target}` : ''} within ${timeout} ms`,
          { cause: timedOut, details: { target, attempts: attemptsSoFar() } },
        );
      }
      endRunning('cancelled');
      throw error;
    },
  );
}
