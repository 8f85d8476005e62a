/**
 * `npm run bench -- <name>` runs `bench/<name>.js` in this process. Each benchmark prints a human
 * table and, last, exactly one JSON line.
 */
import { readdirSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.includes('.test.') && !f.startsWith('harness'))
  .map((f) => f.slice(0, -3));
const name = process.argv[2];
if (name === undefined || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>   (available: ${available.join(', ') || 'none'})`);
  process.exit(2);
}
await import(new URL(`${name}.js`, here).href);
