/**
 * One string picks a status store: `memory`, `sqlite:<file>` (or a bare file path; the default kind),
 * or a `postgres://` URL for a replicated page. Any other `scheme:` is an error.
 */
import { FailsmallError } from '../core/errors.js';
import { MemoryBackend } from './backend.js';
import { PostgresBackend } from './postgres-backend.js';
import { SqliteBackend } from './sqlite-backend.js';
import { createStatusStore, type StatusStore } from './store.js';

function badSpec(spec: unknown, why = ''): never {
  throw new FailsmallError(
    'FS_ERR_INVALID_ARGUMENT',
    `Expected \`db\` to be memory, sqlite:<file>, a file path or a postgres:// URL, got ${JSON.stringify(spec)}${why}`,
    { details: { option: 'db' } },
  );
}

/**
 * Opens the status store named by `spec`. Only the driver of the kind named is loaded
 * (`FS_ERR_MISSING_PEER` when it is not installed).
 *
 * @example
 * const store = await openStatusStore('sqlite:status.db');
 */
export async function openStatusStore(spec: string): Promise<StatusStore> {
  if (typeof spec !== 'string' || spec.trim() === '') badSpec(spec);
  if (spec === 'memory') return createStatusStore(new MemoryBackend());
  if (/^postgres(ql)?:\/\//i.test(spec))
    return createStatusStore(await PostgresBackend.open({ connectionString: spec }));
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length);
    if (path === '') badSpec(spec, ' (no file after sqlite:)');
    return createStatusStore(await SqliteBackend.open({ path }));
  }
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(spec);
  if (scheme !== null) badSpec(spec, ` (unknown scheme ${scheme[1]}:)`);
  return createStatusStore(await SqliteBackend.open({ path: spec }));
}
