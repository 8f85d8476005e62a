/**
 * One string picks a store: `memory`, `sqlite:<file>` (or a bare file path), or a `postgres://` URL.
 */
import { FailsmallError } from '../core/errors.js';
import type { PlanStore } from '../core/store.js';
import { MemoryPlanStore } from '../plan/memory-store.js';
import { PostgresPlanStore } from './postgres-store.js';
import { SqlitePlanStore } from './sqlite-store.js';

/**
 * Opens the store named by `spec`: `memory`; `sqlite:/var/lib/failsmall/plans.db` or any path (the
 * default kind: embedded, no server); `postgres://…` or `postgresql://…` for enactors on several hosts.
 *
 * @example
 * const store = await openPlanStore(process.env.FAILSMALL_STORE ?? 'sqlite:plans.db');
 */
export async function openPlanStore(spec: string): Promise<PlanStore> {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      `Expected \`store\` to be memory, sqlite:<file> or a postgres:// URL, got ${JSON.stringify(spec)}`,
      {
        details: { option: 'store' },
      },
    );
  }
  if (spec === 'memory') return new MemoryPlanStore();
  if (/^postgres(ql)?:\/\//.test(spec)) return PostgresPlanStore.open({ connectionString: spec });
  return new SqlitePlanStore({ path: spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : spec });
}
