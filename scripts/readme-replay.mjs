#!/usr/bin/env node
// Rewrites the README's replay table (between <!-- replay:table --> markers) from one real run:
//   npm run readme:replay                       # builds first (npm script), runs `failsmall replay --json` (~2 min)
//   npm run readme:replay -- --from run.json    # renders a saved `failsmall replay --json` output instead
// A run that missed one of failsmall's targets is not written (exit 1) unless --force is given: the
// README must not publish a run spoiled by an overloaded machine without saying so.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkReplayBlock, renderReplayBlock, replaceReplayBlock } from '../dist/lab/readme-table.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const fromAt = args.indexOf('--from');
const force = args.includes('--force');

let json;
let peakLoad = loadavg()[0];
if (fromAt >= 0) {
  json = readFileSync(args[fromAt + 1], 'utf8');
} else {
  const timer = setInterval(() => (peakLoad = Math.max(peakLoad, loadavg()[0])), 5_000);
  const run = spawnSync(process.execPath, ['dist/cli/main.js', 'replay', '--json'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  clearInterval(timer);
  if (run.status !== 0 && run.status !== 1) {
    console.error(`readme:replay: the replay failed (exit ${run.status})`);
    process.exit(2);
  }
  json = run.stdout;
}
const summary = JSON.parse(json);
const missed = Object.entries(summary.targets ?? {}).filter(([, t]) => t?.met !== true);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const machine = `${process.platform} ${process.arch}, ${cpus().length} cores, load average ${peakLoad.toFixed(1)}`;
const block = renderReplayBlock(summary, {
  date: new Date().toISOString().slice(0, 10),
  commit,
  node: process.version,
  machine,
});
if (missed.length > 0 && !force) {
  console.error(block);
  console.error(
    `readme:replay: not written: the run missed ${missed.map(([n]) => n).join(', ')} (an overloaded machine?); rerun, or pass --force`,
  );
  process.exit(1);
}
const path = `${root}README.md`;
const next = replaceReplayBlock(readFileSync(path, 'utf8'), block);
const problems = checkReplayBlock(next);
if (problems.length > 0) {
  console.error(`readme:replay: the rendered block is not well-formed:\n- ${problems.join('\n- ')}`);
  process.exit(2);
}
writeFileSync(path, next);
console.log(block);
