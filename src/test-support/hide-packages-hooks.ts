/**
 * The ESM resolve hook of hide-packages.ts (registered by it, in the loader thread): a hidden
 * package fails to resolve as a missing one does.
 */
let hidden = new Set<string>();

/** Receives the hidden names from `register(…, { data })`. */
export function initialize(data: readonly string[]): void {
  hidden = new Set(data);
}

/** Refuses hidden packages (and their subpaths) with `ERR_MODULE_NOT_FOUND`. */
export async function resolve(
  specifier: string,
  context: { parentURL?: string },
  next: (specifier: string, context: unknown) => Promise<unknown>,
): Promise<unknown> {
  for (const name of hidden) {
    if (specifier === name || specifier.startsWith(`${name}/`)) {
      throw Object.assign(new Error(`Cannot find package '${name}' imported from ${context.parentURL ?? '?'}`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    }
  }
  return next(specifier, context);
}
