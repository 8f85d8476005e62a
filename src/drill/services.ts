/**
 * The services under test that a drill spawns (`extensions[failsmall].services`): started before the
 * steady state is checked, each waited for until ready (an HTTP URL answers, or a TCP port opens),
 * killed (`kill -9` by default) and restarted by the `process-kill` and `process-restart` funcs, and
 * stopped at the end of the drill whatever happened. `node` as the command is this Node binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';
import type { ServiceSpec } from './experiment.js';

/** A running service. */
interface Running {
  readonly spec: ServiceSpec;
  child: ChildProcess | undefined;
  output: string[];
  exited: Promise<void>;
}

const keepLines = 20;

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect({ host, port });
    const end = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1_000, () => end(false));
    socket.once('connect', () => end(true));
    socket.once('error', () => end(false));
  });
}

async function httpReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

/** Starts, kills and restarts the services of one drill. */
export class ServiceManager {
  readonly #running = new Map<string, Running>();
  readonly #specs: ReadonlyMap<string, ServiceSpec>;
  readonly #baseDir: string;
  readonly #clock: Clock;

  /**
   * @param specs - the services, with placeholders already substituted.
   * @param baseDir - where a service without `cwd` runs (the experiment file's folder).
   */
  constructor(specs: readonly ServiceSpec[], baseDir: string, clock: Clock) {
    this.#specs = new Map(specs.map((s) => [s.name, s]));
    this.#baseDir = baseDir;
    this.#clock = clock;
  }

  /** Starts every service in order, each waited for until ready. */
  async startAll(signal?: AbortSignal): Promise<void> {
    for (const name of this.#specs.keys()) await this.start(name, signal);
  }

  /** Starts `name` and waits until it is ready; rejects with `FS_ERR_DRILL_SERVICE`. */
  async start(name: string, signal?: AbortSignal): Promise<{ pid: number | undefined }> {
    const spec = this.#specs.get(name);
    if (spec === undefined)
      throw new FailsmallError('FS_ERR_DRILL_SERVICE', `no service named "${name}"`, { details: { service: name } });
    const [command, ...args] = spec.command as [string, ...string[]];
    const cwd =
      spec.cwd === undefined ? this.#baseDir : isAbsolute(spec.cwd) ? spec.cwd : resolve(this.#baseDir, spec.cwd);
    const env = {
      ...process.env,
      ...Object.fromEntries(Object.entries(spec.env ?? {}).map(([k, v]) => [k, String(v)])),
    };
    const child = spawn(command === 'node' ? process.execPath : command, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running: Running = {
      spec,
      child,
      output: [],
      exited: new Promise((done) => child.once('close', () => done())),
    };
    const keep = (chunk: Buffer): void => {
      running.output.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      if (running.output.length > keepLines) running.output.splice(0, running.output.length - keepLines);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    this.#running.set(name, running);
    const timeoutMs = (spec.ready?.timeout_s ?? 10) * 1000;
    const started = this.#clock.now();
    const fail = (why: string): never => {
      throw new FailsmallError('FS_ERR_DRILL_SERVICE', `service "${name}" ${why}`, {
        details: { service: name, output: running.output.slice(-keepLines) },
        ...(spawnError === undefined ? {} : { cause: spawnError }),
      });
    };
    for (;;) {
      if (spawnError !== undefined) fail(`could not start: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null)
        fail(
          `exited (${child.exitCode ?? child.signalCode}) before it was ready: ${running.output.slice(-3).join(' | ')}`,
        );
      if (await this.#ready(spec)) return { pid: child.pid };
      if (this.#clock.now() - started > timeoutMs) fail(`was not ready within ${timeoutMs / 1000} s`);
      await this.#clock.sleep(50, signal);
    }
  }

  async #ready(spec: ServiceSpec): Promise<boolean> {
    if (spec.ready?.http !== undefined) return httpReady(spec.ready.http);
    if (spec.ready?.tcp !== undefined) {
      const i = spec.ready.tcp.lastIndexOf(':');
      return portOpen(spec.ready.tcp.slice(0, i) || '127.0.0.1', Number(spec.ready.tcp.slice(i + 1)));
    }
    return true;
  }

  /** Kills `name` (default `SIGKILL`, as `kill -9`) and waits for it to exit. */
  async kill(
    name: string,
    signal: NodeJS.Signals = 'SIGKILL',
  ): Promise<{ killed: string; pid: number | undefined; signal: string }> {
    const running = this.#running.get(name);
    const child = running?.child;
    if (running === undefined || child === undefined || child.exitCode !== null || child.signalCode !== null)
      throw new FailsmallError('FS_ERR_DRILL_SERVICE', `service "${name}" is not running`, {
        details: { service: name },
      });
    child.kill(signal);
    await running.exited;
    running.child = undefined;
    return { killed: name, pid: child.pid, signal };
  }

  /** Starts `name` again (killing it first if it still runs) and waits until it is ready. */
  async restart(name: string, signal?: AbortSignal): Promise<{ restarted: string; pid: number | undefined }> {
    const running = this.#running.get(name);
    if (running?.child !== undefined && running.child.exitCode === null && running.child.signalCode === null)
      await this.kill(name, 'SIGKILL');
    const { pid } = await this.start(name, signal);
    return { restarted: name, pid };
  }

  /** Stops every service (SIGTERM, then SIGKILL after 2 s of real time). Idempotent. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.#running.values()].map(async (running) => {
        const child = running.child;
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
        await running.exited;
        clearTimeout(timer);
      }),
    );
    this.#running.clear();
  }
}
