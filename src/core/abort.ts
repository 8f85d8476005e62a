/**
 * Waiting on a promise that cannot itself be cancelled, on behalf of a caller who can give up.
 */
import { abortReason } from './clock.js';

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
