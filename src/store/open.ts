/**
 * One string picks a store: `memory`, `sqlite:<file>` (or a bare file path), or a `postgres://` URL.
 * Any other `scheme:` (`mysql://x`, `sqlite3:x`) is an error, never taken as a file name.
 */
import { FailsmallError } from '../core/errors.js';
import { MemoryPlanStore } from '../plan/memory-store.js';
import type { PlanStore } from '../plan/store.js';
import { PostgresPlanStore } from './postgres-store.js';
import { SqlitePlanStore } from './sqlite-store.js';

const EXPECTED = 'memory, sqlite:<file>, a file path or a postgres:// URL';

function badSpec(spec: unknown, why = ''): never {
  throw new FailsmallError(
    'FS_ERR_INVALID_ARGUMENT',
    `Expected \`store\` to be ${EXPECTED}, got ${JSON.stringify(spec)}${why}`,
    {
      details: { option: 'store' },
    },
  );
}

/**
 * Opens the store named by `spec`: `memory`; `sqlite:/var/lib/failsmall/plans.db` or any path (the
 * default kind: embedded, no server); `postgres://…` or `postgresql://…` for enactors on several hosts.
 * Rejects with `FS_ERR_INVALID_ARGUMENT` for an empty spec or an unknown scheme (a prefix of two or
 * more letters followed by `:`; a one-letter prefix is a Windows drive), `FS_ERR_STORE_BACKEND` when
 * the database cannot be opened, `FS_ERR_MISSING_PEER` when its driver is not installed. Only the
 * driver of the kind named is loaded.
 *
 * @example
 * const store = await openPlanStore(process.env.FAILSMALL_STORE ?? 'sqlite:plans.db');
 */
export async function openPlanStore(spec: string): Promise<PlanStore> {
  if (typeof spec !== 'string' || spec.trim() === '') badSpec(spec);
  if (spec === 'memory') return new MemoryPlanStore();
  if (/^postgres(ql)?:\/\//i.test(spec)) return PostgresPlanStore.open({ connectionString: spec });
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length);
    if (path === '') badSpec(spec, ' (no file after sqlite:)');
    return SqlitePlanStore.open({ path });
  }
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(spec);
  if (scheme !== null) badSpec(spec, ` (unknown scheme ${scheme[1]}:)`);
  return SqlitePlanStore.open({ path: spec });
}
