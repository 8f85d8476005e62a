/**
 * Loading an optional peer dependency on first use. The upper layers (SQLite and PostgreSQL stores,
 * the YAML and schema readers, the CLI, the replay's charts and SDK) use well-kept packages that a
 * user of the light layers does not install; they are loaded here, when the feature is first used,
 * and a missing package is a clear error naming what to install.
 */
import { createRequire } from 'node:module';
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
      throw peerError(name, feature, error);
    });
    cache.set(name, loading);
  }
  return loading as Promise<T>;
}

const requireFromHere = createRequire(import.meta.url);

/**
 * Loads the optional package `name` for `feature` synchronously (its CommonJS entry, through
 * `require`, which caches it), for a synchronous function that needs it on first use. Throws
 * `FS_ERR_MISSING_PEER` exactly as {@link importPeer} rejects. A package whose `import` and `require`
 * entries are different files (zod) is two instances if loaded both ways: failsmall loads zod through
 * this function only.
 *
 * @param name the package specifier, e.g. `'zod'`
 * @param feature what needs it, for the message, e.g. `'fault-rule validation in failsmall/chaos'`
 * @example
 * const { z } = requirePeer<typeof Zod>('zod', 'fault-rule validation'); // Zod: zod's types, imported as a type
 */
export function requirePeer<T>(name: string, feature: string): T {
  try {
    return requireFromHere(name) as T;
  } catch (error) {
    throw peerError(name, feature, error);
  }
}

/**
 * A function that, on its first call, loads the optional package `name` with {@link requirePeer}
 * and returns `build(package)`, and from then on returns that same value: a schema (or anything
 * else built from a peer) that costs nothing, and needs nothing installed, until it is used. A
 * missing package throws `FS_ERR_MISSING_PEER` at each call until it is installed.
 *
 * @example
 * const portSchema = lazyPeer('zod', 'the config reader', ({ z }: typeof Zod) => z.number().int());
 * portSchema().parse(8080);
 */
export function lazyPeer<P, T>(name: string, feature: string, build: (peer: P) => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build(requirePeer<P>(name, feature)) }).value;
}

/** The `FS_ERR_MISSING_PEER` error for a failed load of `name`: not installed, or failing to load. */
function peerError(name: string, feature: string, error: unknown): FailsmallError {
  const code = (error as { code?: unknown } | null)?.code;
  const missing =
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    String((error as Error).message).includes(`'${name}'`);
  return new FailsmallError(
    MISSING_PEER,
    missing
      ? `${feature} needs the package "${name}", which is not installed: run \`npm install ${name}\``
      : `${feature} needs the package "${name}", which failed to load: ${(error as Error).message}`,
    { cause: error, details: { package: name, feature, installed: !missing } },
  );
}
