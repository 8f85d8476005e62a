/**
 * The crash half of the durability tests: a child process that writes and acknowledges on stdout,
 * killed with SIGKILL at a chosen moment after it is ready. One harness for the plan store's and the
 * outbox's kill tests.
 */
import { spawn } from 'node:child_process';

/**
 * Runs `node script ...args`, sends SIGKILL `killAfterMs` milliseconds after the child printed its
 * first line `ready`, and resolves with the complete lines it printed before the kill (a line cut by
 * the kill was not acknowledged). Rejects when the child exits by itself.
 */
export function runUntilKilled(script: string, args: readonly string[], killAfterMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!armed && out.startsWith('ready\n')) {
        armed = true;
        setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`the child exited by itself (${code}): ${err}`));
      resolve(out.slice(0, out.lastIndexOf('\n') + 1).split('\n'));
    });
  });
}
