// Doc tests: every ```ts and ```js fence of README.md and docs/**/*.md is extracted into
// .build/doctest/, type-checked against the built package (`failsmall/…` resolves to dist/ through the
// package's own `exports`) and, when its info string says `run` (```ts run), executed with a timeout,
// so an example and its `// →` comments cannot drift from the real API.
//
// A fence is one ES module. Mark a fence that shows a fragment on purpose ```ts fragment (not compiled)
// only where a complete example would hide the point; prefer complete examples.
//
//   node scripts/doc-test.mjs            (run by npm test, after the build)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, '.build', 'doctest');
const timeoutMs = 20_000; // per runnable example; they use loopback servers and virtual clocks only

function markdownFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

/** The fences of one file: language, flags of the info string, first line and code. */
export function fences(text) {
  const found = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript|js|javascript)\b(.*)$/.exec(lines[i]);
    if (open === null) continue;
    const start = i + 1; // the code starts on the line after the fence; `line` is the fence (1-based)
    let end = start;
    while (end < lines.length && !lines[end].startsWith('```')) end++;
    const flags = open[2].trim().split(/\s+/).filter(Boolean);
    found.push({
      lang: open[1].startsWith('j') ? 'js' : 'ts',
      flags,
      line: start,
      code: lines.slice(start, end).join('\n'),
    });
    i = end;
  }
  return found;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const examples = [];
for (const file of [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))]) {
  const rel = relative(root, file);
  for (const fence of fences(readFileSync(file, 'utf8'))) {
    if (fence.flags.includes('fragment')) continue;
    const name = `${rel.replace(/[/.]/g, '_')}_L${fence.line}`;
    const path = join(out, `${name}.${fence.lang === 'ts' ? 'mts' : 'mjs'}`);
    // `export {}` makes every fence a module (top-level await, no global clashes between fences).
    writeFileSync(path, `${fence.code}\nexport {};\n`);
    examples.push({ where: `${rel}:${fence.line}`, path, name, run: fence.flags.includes('run') });
  }
}
writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      allowJs: true,
      checkJs: true,
      skipLibCheck: true,
      types: ['node'],
      outDir: 'out',
      rootDir: '.',
    },
    include: ['*.mts', '*.mjs'],
  }),
);
const problems = [];
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', out], {
    cwd: root,
    encoding: 'utf8',
  });
} catch (error) {
  // Name each error by the Markdown file and line of its fence.
  const byName = new Map(examples.map((e) => [e.name, e.where]));
  for (const line of String(error.stdout).trim().split('\n')) {
    const m = /^\.build\/doctest\/([^.]+)\.m[tj]s\((\d+),(\d+)\): (.*)$/.exec(line);
    if (m === null) {
      if (line.trim() !== '') problems.push(line);
      continue;
    }
    const where = byName.get(m[1]) ?? m[1];
    const [file, fenceLine] = where.split(':');
    problems.push(`${file}:${Number(fenceLine) + Number(m[2])}: ${m[4]}`);
  }
}
let ran = 0;
if (problems.length === 0) {
  for (const example of examples.filter((e) => e.run)) {
    const js = join(out, 'out', relative(out, example.path).replace(/\.mts$/, '.mjs'));
    try {
      execFileSync(process.execPath, [js], { cwd: root, timeout: timeoutMs, encoding: 'utf8', stdio: 'pipe' });
      ran++;
    } catch (error) {
      problems.push(
        `${example.where}: the example failed: ${String(error.stderr || error.message)
          .trim()
          .split('\n')
          .slice(0, 5)
          .join(' | ')}`,
      );
    }
  }
}
console.log(JSON.stringify({ check: 'doc-test', examples: examples.length, type_checked: examples.length, ran }));
if (problems.length > 0) {
  console.error(`doc-test: ${problems.length} problem(s):\n${problems.join('\n')}`);
  process.exitCode = 1;
}
