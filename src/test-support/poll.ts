/**
 * Polling on real events for tests that cannot run on a virtual clock (real sockets): wait until a
 * condition holds, checking every few ms, with a generous bound so a slow CI machine never fails a
 * test that would pass; never an upper wall-clock bound on how fast something happened.
 */

/**
 * Resolves once `condition()` returns true; rejects with `what` after `boundMs` of real time
 * (default 30 s), checking every `everyMs` (default 5 ms).
 *
 * @example
 * await until(() => server.log.total >= 3, 'three queries logged');
 */
export async function until(condition: () => boolean, what: string, boundMs = 30_000, everyMs = 5): Promise<void> {
  const deadline = performance.now() + boundMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Still waiting after ${boundMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
