/**
 * Loading an optional peer dependency on first use. The upper layers (SQLite and PostgreSQL stores,
 * the YAML and schema readers, the CLI, the replay's charts and SDK) use well-kept packages that a
 * user of the light layers does not install; they are loaded here, when the feature is first used,
 * and a missing package is a clear error naming what to install.
 */
import { FailsmallError } from './errors.js';

/** Code of the error thrown when an optional peer dependency is not installed. */
export const MISSING_PEER = 'FS_ERR_MISSING_PEER';

const cache = new Map<string, Promise<unknown>>();

/**
 * Imports the optional package `name` for `feature`, once per process (later calls share the
 * first import). Rejects with `FS_ERR_MISSING_PEER` (details `{ package, feature }`) when the package
 * cannot be found, and passes any other load error on as the cause.
 *
 * @param name the package specifier, e.g. `'better-sqlite3'` or `'yaml'`
 * @param feature what needs it, for the message, e.g. `'the SQLite store'`
 * @example
 * import type * as Yaml from 'yaml';
 * const yaml = await importPeer<typeof Yaml>('yaml', 'the zone file reader');
 */
export function importPeer<T>(name: string, feature: string): Promise<T> {
  let loading = cache.get(name);
  if (loading === undefined) {
    loading = import(name).catch((error: unknown) => {
      cache.delete(name);
      const code = (error as { code?: unknown } | null)?.code;
      const missing =
        (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
        String((error as Error).message).includes(`'${name}'`);
      throw new FailsmallError(
        MISSING_PEER,
        missing
          ? `${feature} needs the package "${name}", which is not installed: run \`npm install ${name}\``
          : `${feature} needs the package "${name}", which failed to load: ${(error as Error).message}`,
        { cause: error, details: { package: name, feature, installed: !missing } },
      );
    });
    cache.set(name, loading);
  }
  return loading as Promise<T>;
}
