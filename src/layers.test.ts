/**
 * The architecture rule of DESIGN.md, checked on every source file: a module imports only from its
 * own layer or the layers below it, and the light layers take no runtime dependency. Tests (not
 * shipped) may import any layer and the test helpers in src/test-support/; nothing else may.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Bottom to top. `bench` and `cli` sit on top of everything. */
const LAYERS = [
  'core',
  'policy',
  'dns',
  'health',
  'plan',
  'admit',
  'store',
  'client',
  'chaos',
  'sim',
  'otel',
  'status',
  'drill',
  'lab',
  'testing',
  'cli',
  'bench',
];
/** Folders of test helpers: they may import any layer, and only tests may import them. */
const TEST_ONLY = ['test-support'];
/** Runtime packages each light layer may import (node: built-ins are always allowed). */
const LIGHT: Record<string, readonly string[]> = {
  core: [],
  policy: [],
  dns: ['dns-packet'],
  health: [],
  plan: [],
  admit: [],
};

const src = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

// In CI the sources must be there: a layout change must not silently switch the architecture check off.
const skip = existsSync(src) || process.env['CI'] ? false : 'the sources are not beside the build';
describe('layers', { skip }, () => {
  it('imports flow downward only, and light layers take no runtime dependency', () => {
    const problems: string[] = [];
    for (const file of sourceFiles(src)) {
      const rel = relative(src, file);
      const layer = rel.includes(sep) ? rel.split(sep)[0]! : undefined;
      if (layer === undefined) continue;
      const isTest = /\.test(\.worker)?\.ts$/.test(file);
      if (TEST_ONLY.includes(layer)) continue;
      const level = LAYERS.indexOf(layer);
      assert.ok(level >= 0, `${rel}: folder "${layer}" is not a known layer`);
      for (const spec of imports(file)) {
        if (spec.startsWith('.')) {
          if (isTest) continue; // tests are not shipped: they may import any layer (DESIGN.md)
          const target = relative(src, join(file, '..', spec)).split(sep)[0]!;
          if (TEST_ONLY.includes(target)) {
            problems.push(`${rel} imports ${spec} (test helpers are for tests only)`);
            continue;
          }
          const targetLevel = LAYERS.indexOf(target);
          if (targetLevel > level) problems.push(`${rel} imports ${spec} (layer ${target} is above ${layer})`);
        } else if (!spec.startsWith('node:') && !isTest && LIGHT[layer] !== undefined) {
          const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!LIGHT[layer].includes(pkg))
            problems.push(`${rel} imports the package ${pkg}: ${layer}/ takes no runtime dependency`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});
