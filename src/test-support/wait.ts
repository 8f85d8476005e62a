/**
 * Polling on real events, for tests that cannot run on a virtual clock (real sockets). Generous
 * bounds: a slow CI machine waits longer, a fast one does not wait at all.
 */

/**
 * Resolves once `condition()` holds, checking every 2 ms; rejects after `ms` (default 10 s) so a
 * test that can never pass fails instead of hanging.
 *
 * @example
 * await waitFor(() => server.count('api.test') === 1);
 */
export async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
