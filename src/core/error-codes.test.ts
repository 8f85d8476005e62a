/**
 * The error registry is the one table of codes: docs/errors.md is generated from it, and every code
 * that src/ uses is in it (the `ErrorCode` union already rejects an unregistered code wherever a code
 * is typed; this also catches codes written as plain strings, e.g. in JSON bodies).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { errorModules, errorRegistry } from './error-codes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const src = join(root, 'src');
const skip = existsSync(src) || process.env['CI'] ? false : 'the sources are not beside the build';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : /(?<!\.test)(?<!\.test\.worker)\.ts$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('error registry', { skip }, () => {
  it('docs/errors.md holds exactly the registry, module by module', async () => {
    const script = join(root, 'scripts', 'errors-doc.mjs');
    const { render, docPath } = (await import(script)) as {
      render: (markdown: string, registry: unknown, modules: readonly string[]) => string;
      docPath: string;
    };
    const doc = readFileSync(docPath, 'utf8');
    assert.equal(render(doc, errorRegistry, errorModules), doc, 'run `npm run docs:errors`');
    const documented = [...doc.matchAll(/^\| `(FS_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(documented.sort(), Object.keys(errorRegistry).sort());
  });

  it('every code src/ uses is registered', () => {
    const codes = new Set(Object.keys(errorRegistry));
    const prefixes = [...codes];
    const problems: string[] = [];
    for (const file of sourceFiles(src)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/['"`](FS_ERR_[A-Z0-9_]+)['"`]/g)) {
        const code = m[1]!;
        // A prefix of registered codes (`'FS_ERR_BREAKER_'`) names a family, not a code.
        if (codes.has(code) || prefixes.some((c) => c.startsWith(code) && c !== code)) continue;
        problems.push(`${relative(root, file)}: ${code}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('every code is FS_ERR_ and upper snake case, each cell filled', () => {
    for (const [code, [module, when, what]] of Object.entries(errorRegistry)) {
      assert.match(code, /^FS_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
      assert.ok(errorModules.includes(module), code);
      assert.ok(when.length > 0 && what.length > 0, code);
    }
  });
});
