/**
 * Test support, preloaded with `node --import <this file>`: makes the packages named in
 * `FAILSMALL_TEST_HIDE_PACKAGES` (comma-separated) look not installed, for both `import()` (an ESM
 * resolve hook) and `require.resolve` (the CommonJS resolver), so that a test can run the built CLI as
 * a user without the optional peers would.
 */
import Module, { register } from 'node:module';

const hidden = new Set((process.env['FAILSMALL_TEST_HIDE_PACKAGES'] ?? '').split(',').filter((n) => n !== ''));

register('./hide-packages-hooks.js', import.meta.url, { data: [...hidden] });

type ResolveFilename = (request: string, ...rest: unknown[]) => string;
const cjs = Module as unknown as { _resolveFilename: ResolveFilename };
const original = cjs._resolveFilename;
cjs._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  if (hidden.has(request)) {
    throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
  }
  return original.call(this, request, ...rest);
};
