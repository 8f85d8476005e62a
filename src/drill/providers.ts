/**
 * Runs one provider: Chaos Toolkit's `http` (the value is `{ status, headers, body }`; an action
 * fails on a status other than `expected_status`, or >= 400 without one) and `process` (the value is
 * `{ status, stdout, stderr }`; an action fails on a non-zero exit), and failsmall's funcs (funcs.ts).
 */
import { spawn } from 'node:child_process';
import { FailsmallError } from '../core/errors.js';
import type { Provider } from './experiment.js';
import { httpCall, runFunc, type FuncContext } from './funcs.js';

/** Options of {@link runProvider}. */
export interface RunProviderOptions {
  /** An action fails on an error status or exit code; a probe returns the value for its tolerance. */
  readonly kind: 'action' | 'probe';
  /** Where a process runs. */
  readonly cwd: string;
  /** For a tolerance probe: the value under test (`arguments.value` of http, `$FAILSMALL_VALUE` of process). */
  readonly value?: unknown;
}

function runProcess(
  path: string,
  args: string | readonly string[] | undefined,
  timeoutMs: number,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number; stdout: string; stderr: string }> {
  const argv =
    args === undefined ? [] : typeof args === 'string' ? args.split(/\s+/).filter((a) => a !== '') : [...args];
  return new Promise((resolve, reject) => {
    const child = spawn(path, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout = (stdout + c.toString('utf8')).slice(-65_536)));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-65_536)));
    child.once('error', (error) =>
      reject(
        new FailsmallError('FS_ERR_DRILL_ACTIVITY', `cannot run ${path}: ${error.message}`, {
          cause: error,
          details: { path },
        }),
      ),
    );
    child.once('close', (code, signal) => resolve({ status: code ?? (signal === null ? -1 : 128), stdout, stderr }));
  });
}

/** Runs `provider` (placeholders already substituted) and returns its value. */
export async function runProvider(provider: Provider, ctx: FuncContext, options: RunProviderOptions): Promise<unknown> {
  switch (provider.type) {
    case 'http': {
      const timeout = provider.timeout;
      const timeoutMs = (Array.isArray(timeout) ? timeout[0] + timeout[1] : (timeout ?? 30)) * 1000;
      let body = provider.arguments;
      if (options.value !== undefined)
        body = { ...(typeof body === 'object' && body !== null ? body : {}), value: options.value };
      const answer = await httpCall(provider.method ?? 'GET', provider.url, {
        ...(body === undefined ? {} : { body }),
        ...(provider.headers === undefined ? {} : { headers: provider.headers }),
        timeoutMs,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
      const bad =
        provider.expected_status !== undefined ? answer.status !== provider.expected_status : answer.status >= 400;
      if (options.kind === 'action' && bad)
        throw new FailsmallError(
          'FS_ERR_DRILL_ACTIVITY',
          `${provider.method ?? 'GET'} ${provider.url} answered ${answer.status}`,
          {
            details: { url: provider.url, status: answer.status },
          },
        );
      return answer;
    }
    case 'process': {
      const env = {
        ...process.env,
        ...(options.value === undefined ? {} : { FAILSMALL_VALUE: JSON.stringify(options.value) }),
      };
      const result = await runProcess(
        provider.path,
        provider.arguments,
        (provider.timeout ?? 60) * 1000,
        options.cwd,
        env,
      );
      if (options.kind === 'action' && result.status !== 0)
        throw new FailsmallError(
          'FS_ERR_DRILL_ACTIVITY',
          `${provider.path} exited ${result.status}: ${result.stderr.trim().slice(-300)}`,
          {
            details: { path: provider.path, status: result.status },
          },
        );
      return result;
    }
    case 'failsmall':
      return runFunc(provider.func, provider.arguments ?? {}, ctx);
  }
}
