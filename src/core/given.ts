/**
 * The options that were given, without the ones left out (from the command line, a config file or a
 * caller's partial options): a value that is `undefined` is dropped, so that the callee's default
 * applies when spread over the defaults (and `exactOptionalPropertyTypes` holds). Shallow.
 *
 * @example
 * runOcc({ seed, ...given({ clients: int(opts.clients, '--clients'), trials: undefined }) }); // { seed, clients }
 */
export function given<T extends object>(options: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
