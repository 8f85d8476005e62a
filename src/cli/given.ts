/**
 * The options given on the command line or in a config file, without the ones left out: a value
 * that is `undefined` is dropped, so that the callee's default applies (and `exactOptionalPropertyTypes`
 * holds).
 *
 * @example
 * runOcc({ seed, ...given({ clients: int(opts.clients, '--clients'), trials: undefined }) }); // { seed, clients }
 */
export function given<T extends object>(options: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
