/**
 * Waiting on a promise that cannot itself be cancelled, on behalf of a caller who can give up.
 */
import { abortReason, type Clock } from './clock.js';

/**
 * Settles with `promise`, or rejects with the signal's reason (`FS_ERR_ABORTED` when it has none)
 * as soon as `signal` aborts, whichever comes first. The work behind `promise` is not stopped: this
 * only stops waiting for it. A later rejection of `promise` is handled, never reported as unhandled.
 * The abort listener is removed once `promise` settles, so a long-lived signal does not collect one
 * listener per call. Without a signal, `promise` is returned as it is.
 *
 * @param promise - what to wait for.
 * @param signal - gives up waiting when it aborts; optional.
 * @example
 * // A shared resolution keeps going for the other callers; this caller stops waiting.
 * const answer = await raceAbort(resolver.resolve('api.example.com'), AbortSignal.timeout(2_000));
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** How {@link raceTimer} ended: `promise` fulfilled, rejected, or the timer fired first. */
export type TimerRace<T> =
  | { readonly kind: 'done'; readonly value: T }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'timer' };

/**
 * Waits for `promise` at most `ms` on `clock`, and says how it ended; never rejects except when
 * `signal` aborts (as {@link raceAbort}). The timer is cancelled once `promise` settles; `ms` of
 * `Infinity` sets none. As with `raceAbort`, the work behind `promise` goes on.
 *
 * @param ms - the longest wait, in milliseconds of `clock`.
 * @example
 * // Serve-stale: wait for the upstream at most the client response timer (1.8 s).
 * const raced = await raceTimer(refresh, 1_800, clock, signal);
 * if (raced.kind === 'timer') return staleAnswer;
 */
export function raceTimer<T>(
  promise: Promise<T>,
  ms: number,
  clock: Clock,
  signal?: AbortSignal,
): Promise<TimerRace<T>> {
  return raceAbort(
    new Promise<TimerRace<T>>((resolve) => {
      const cancel = ms === Infinity ? undefined : clock.setTimer(() => resolve({ kind: 'timer' }), ms);
      promise.then(
        (value) => {
          cancel?.();
          resolve({ kind: 'done', value });
        },
        (error: unknown) => {
          cancel?.();
          resolve({ kind: 'failed', error });
        },
      );
    }),
    signal,
  );
}
