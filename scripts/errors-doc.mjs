// The code tables of docs/errors.md, generated from the error registry (src/core/error-codes.ts, read
// from the build). Between `<!-- codes:<module> -->` and `<!-- /codes:<module> -->` the page holds
// exactly the registry's rows of that module; the prose around the tables is written by hand.
//
//   node scripts/errors-doc.mjs           fails when docs/errors.md is out of date
//   node scripts/errors-doc.mjs --update  rewrites the tables (`npm run docs:errors`)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const docPath = fileURLToPath(new URL('../docs/errors.md', import.meta.url));

/** The Markdown table of one module's codes. */
export function table(registry, module) {
  const rows = Object.entries(registry)
    .filter(([, [owner]]) => owner === module)
    .map(([code, [, when, what]]) => `| \`${code}\` | ${when} | ${what} |`);
  return ['| code | thrown when | what to do |', '|---|---|---|', ...rows].join('\n');
}

/** `markdown` with every module's table replaced by the registry's; throws when a module has no markers. */
export function render(markdown, registry, modules) {
  let out = markdown;
  for (const module of modules) {
    const open = `<!-- codes:${module} -->`;
    const close = `<!-- /codes:${module} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start)
      throw new Error(`docs/errors.md: no ${open} … ${close} section for the module ${module}`);
    out = `${out.slice(0, start + open.length)}\n${table(registry, module)}\n${out.slice(end)}`;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { errorRegistry, errorModules } = await import('../dist/core/error-codes.js');
  const current = readFileSync(docPath, 'utf8');
  const next = render(current, errorRegistry, errorModules);
  if (process.argv.includes('--update')) {
    writeFileSync(docPath, next);
    console.log(next === current ? 'docs/errors.md is up to date' : 'docs/errors.md updated');
  } else if (next !== current) {
    console.error('docs/errors.md differs from the error registry: run `npm run docs:errors`');
    process.exitCode = 1;
  }
}
