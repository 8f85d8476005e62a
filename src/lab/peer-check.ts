/**
 * The replay's check of its optional peers, for the CLI and other callers: it loads them the way the
 * replay does (`peers.ts`) and says nothing of their types, so the package's declarations compile
 * without the AWS SDK, @smithy or cacheable-lookup installed.
 */
import { loadReplayPeers } from './peers.js';

/**
 * Resolves when every package `failsmall replay` needs is installed (with `report`, chart.js too);
 * rejects with one `FS_ERR_MISSING_PEER` naming every missing package and the `npm install` that
 * fixes them all.
 *
 * @example
 * await checkReplayPeers({ report: true });
 */
export async function checkReplayPeers(options: { report?: boolean } = {}): Promise<void> {
  await loadReplayPeers(options);
}
