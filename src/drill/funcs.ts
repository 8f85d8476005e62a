/**
 * failsmall's providers (`provider: { type: failsmall, func, arguments }`): each func has an
 * argument schema, checked when the file is validated (before anything runs), and an implementation
 * that talks to its target through that target's documented API:
 *
 * | func | what it does | through |
 * |---|---|---|
 * | `dns-fault` | adds a fault rule (`rule`) to the fault DNS server | `POST {api}/v1/faults` |
 * | `dns-clear-faults` | removes every fault rule | `DELETE {api}/v1/faults` |
 * | `dns-change` | applies a change batch (`changes`, `expectedVersion`) to `zone` | `POST {api}/v1/zones/{zone}/changes` |
 * | `proxy-create` | creates a proxy (`proxy`: name, listen, upstream, mode) | Toxiproxy `POST {api}/proxies` |
 * | `proxy-toxic` | adds a toxic (`toxic`: Toxiproxy's fields) to `proxy` | `POST {api}/proxies/{proxy}/toxics` |
 * | `proxy-remove-toxic` | removes the toxic `toxic` | `DELETE {api}/proxies/{proxy}/toxics/{toxic}` |
 * | `proxy-http-fault` | adds an HTTP fault rule (`fault`) to an HTTP-mode proxy | `POST {api}/proxies/{proxy}/http_faults` |
 * | `proxy-clear-http-faults` | removes the HTTP fault rules of `proxy` | `DELETE {api}/proxies/{proxy}/http_faults` |
 * | `proxy-reset` | enables every proxy and removes every toxic | Toxiproxy `POST {api}/reset` |
 * | `health-lie` | makes a health source report `report` (`down`/`up`) for `target` (default every target) | `POST {url}/lie` |
 * | `health-truth` | makes it report the truth again | `DELETE {url}/lie` |
 * | `process-kill` | kills a service under test (`signal`, default `SIGKILL`: kill -9) | the drill's own child |
 * | `process-restart` | starts it again and waits until it is ready | the drill's own child |
 * | `region-failover`, `region-failback` | switches the active region to `region` | `{method} {url}` with `body` (default `{ "active": region }`) |
 * | `wait` | waits `seconds` on the drill's clock | |
 * | `http-probe` | `{ status, headers, body }` of a request (an error is `status: 0`) | |
 * | `tcp-probe` | `true` when a TCP connection to `host:port` opens | |
 * | `dns-probe` | `{ rcode, addresses }` of a DNS query to `server` | |
 * | `write-read` | `true` when a write to `PUT {url}/{key}` reads back from `GET {url}/{key}` | |
 *
 * `api` defaults to Toxiproxy's `http://127.0.0.1:8474` for the proxy funcs.
 */
import net from 'node:net';
import type * as Zod from 'zod';
import { probe } from '../chaos/probe.js';
import { formatPath } from '../chaos/zone-schema.js';
import type { Clock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';
import { requirePeer } from '../core/optional-peer.js';
import type { ServiceManager } from './services.js';

const { z } = requirePeer<typeof Zod>('zod', 'the experiment reader of failsmall drill');

/** Toxiproxy's default API address. */
export const toxiproxyDefaultApi = 'http://127.0.0.1:8474';

const url = z.url({ error: 'expected an http:// URL' });
const obj = z.record(z.string(), z.unknown(), { error: 'expected an object' });
const proxyApi = url.default(toxiproxyDefaultApi);
const timeoutS = z.number().finite().positive('expected seconds > 0').optional();
const regionSwitch = z.strictObject({
  url,
  region: z.string(),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  body: z.unknown().optional(),
  timeout_s: timeoutS,
});

const schemas = {
  'dns-fault': z.strictObject({ api: url, rule: obj }),
  'dns-clear-faults': z.strictObject({ api: url }),
  'dns-change': z.strictObject({
    api: url,
    zone: z.string(),
    changes: z.array(obj).min(1),
    expectedVersion: z.number().int().optional(),
    comment: z.string().optional(),
  }),
  'proxy-create': z.strictObject({ api: proxyApi, proxy: obj }),
  'proxy-toxic': z.strictObject({ api: proxyApi, proxy: z.string(), toxic: obj }),
  'proxy-remove-toxic': z.strictObject({ api: proxyApi, proxy: z.string(), toxic: z.string() }),
  'proxy-http-fault': z.strictObject({ api: proxyApi, proxy: z.string(), fault: obj }),
  'proxy-clear-http-faults': z.strictObject({ api: proxyApi, proxy: z.string() }),
  'proxy-reset': z.strictObject({ api: proxyApi }),
  'health-lie': z.strictObject({ url, report: z.enum(['down', 'up']), target: z.string().optional() }),
  'health-truth': z.strictObject({ url }),
  'process-kill': z.strictObject({
    service: z.string(),
    signal: z.enum(['SIGKILL', 'SIGTERM', 'SIGINT']).default('SIGKILL'),
  }),
  'process-restart': z.strictObject({ service: z.string() }),
  'region-failover': regionSwitch,
  'region-failback': regionSwitch,
  wait: z.strictObject({ seconds: z.number().finite().min(0, 'expected seconds >= 0') }),
  'http-probe': z.strictObject({
    url,
    method: z.string().default('GET'),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    timeout_s: timeoutS,
  }),
  'tcp-probe': z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(1).max(65535),
    timeout_s: timeoutS,
  }),
  'dns-probe': z.strictObject({
    server: z.string().regex(/^[0-9.]+:\d+$/, 'expected host:port'),
    name: z.string(),
    type: z.string().default('A'),
    transport: z.enum(['udp', 'tcp']).default('udp'),
    timeout_s: timeoutS,
  }),
  'write-read': z.strictObject({ url, key: z.string().optional(), timeout_s: timeoutS }),
} as const;

/** The name of a failsmall func. */
export type FuncName = keyof typeof schemas;

/** Every failsmall func. */
export const funcNames = Object.keys(schemas) as readonly string[];

/** What a func runs with. */
export interface FuncContext {
  /** The drill's clock: waits go through it. */
  readonly clock: Clock;
  /** The services under test. */
  readonly services: ServiceManager;
  /** Aborts when the drill stops. */
  readonly signal?: AbortSignal;
}

/** Substitutes `${key}` placeholders in a string; a string that is exactly one placeholder takes the value's type. */
export function substitute(value: unknown, config: Readonly<Record<string, string | number | boolean>>): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([^}]+)\}$/.exec(value);
    if (whole !== null && whole[1]! in config) return config[whole[1]!];
    return value.replace(/\$\{([^}]+)\}/g, (m, key: string) => (key in config ? String(config[key]) : m));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, config));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, config)]));
  return value;
}

/**
 * Checks a func's arguments (placeholders are checked by shape only: a `${key}` passes where a number
 * is expected); the first problem with its path inside `arguments`, or `undefined`.
 */
export function checkFuncArguments(
  func: string,
  args: Record<string, unknown>,
  services: ReadonlySet<string>,
): { path: (string | number)[]; message: string } | undefined {
  const schema = schemas[func as FuncName];
  // A placeholder stands for any value: give it the sample of a number, and a URL where one is wanted.
  const sample = (v: unknown): unknown =>
    typeof v === 'string' && /^\$\{[^}]+\}$/.test(v)
      ? 1
      : typeof v === 'string'
        ? v.replace(/\$\{[^}]+\}/g, '1')
        : Array.isArray(v)
          ? v.map(sample)
          : typeof v === 'object' && v !== null
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sample(x)]))
            : v;
  const r = schema.safeParse(sample(args));
  if (!r.success) {
    // An unknown key says most (a misspelt field also shows up as a missing one).
    const issue = r.error.issues.find((i) => i.code === 'unrecognized_keys') ?? r.error.issues[0]!;
    const path = issue.path as (string | number)[];
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0)
      return { path: [...path, issue.keys[0]!], message: 'unknown field; check its spelling and nesting' };
    // A placeholder sampled as 1 where a string was expected is fine.
    if (issue.code === 'invalid_type' && typeof getPath(args, path) === 'string') return undefined;
    return { path, message: issue.message };
  }
  const service = (r.data as { service?: string }).service;
  if (service !== undefined && !services.has(service))
    return { path: ['service'], message: `no service named "${service}" in extensions[failsmall].services` };
  return undefined;
}

function getPath(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[key];
  return v;
}

function activityError(message: string, details: Record<string, unknown> = {}, cause?: unknown): FailsmallError {
  return new FailsmallError('FS_ERR_DRILL_ACTIVITY', message, { details, ...(cause === undefined ? {} : { cause }) });
}

/** The answer of an HTTP call: Chaos Toolkit's `{ status, headers, body }` (JSON bodies parsed). */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/**
 * One HTTP request with a real-time timeout (default 10 s). A network error or timeout rejects with
 * `FS_ERR_DRILL_ACTIVITY`.
 */
export async function httpCall(
  method: string,
  target: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<HttpAnswer> {
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 10_000)];
  if (options.signal !== undefined) signals.push(options.signal);
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (typeof options.body !== 'string') headers['content-type'] ??= 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(target, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.any(signals),
    });
  } catch (error) {
    throw activityError(`${method} ${target} failed: ${(error as Error).message}`, { url: target }, error);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (error) {
    throw activityError(
      `${method} ${target}: the body was cut short: ${(error as Error).message}`,
      { url: target },
      error,
    );
  }
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), body: parsed };
}

/** A control call: like {@link httpCall}, but a status >= 300 rejects with `FS_ERR_DRILL_ACTIVITY`. */
async function control(method: string, target: string, body?: unknown, timeoutMs?: number): Promise<unknown> {
  const answer = await httpCall(method, target, {
    ...(body === undefined ? {} : { body }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  if (answer.status >= 300)
    throw activityError(`${method} ${target} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`, {
      url: target,
      status: answer.status,
    });
  return answer.body;
}

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const trim = (u: string): string => u.replace(/\/+$/, '');
const ms = (s: number | undefined, fallback: number): number => (s === undefined ? fallback : s * 1000);
let writeSeq = 0;

/**
 * Runs the failsmall func `func` with `args` (placeholders already substituted). Returns the value
 * a probe's tolerance is checked against (an action's value is journaled).
 */
export async function runFunc(func: string, rawArgs: Record<string, unknown>, ctx: FuncContext): Promise<unknown> {
  const schema = schemas[func as FuncName];
  if (schema === undefined)
    throw new FailsmallError('FS_ERR_DRILL_UNKNOWN_PROVIDER', `unknown failsmall func "${func}"`, {
      details: { func },
    });
  const r = schema.safeParse(rawArgs);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new FailsmallError(
      'FS_ERR_DRILL_INVALID',
      `${func}: arguments.${formatPath(issue.path as PropertyKey[])}: ${issue.message}`,
      { details: { func, field: `arguments.${formatPath(issue.path as PropertyKey[])}` } },
    );
  }
  // Fields by name across the funcs (each schema above checked its own).
  const a = r.data as unknown as {
    api: string;
    rule: unknown;
    proxy: string;
    toxic: string;
    fault: unknown;
    url: string;
    service: string;
    signal: NodeJS.Signals;
    seconds: number;
    host: string;
    port: number;
    timeout_s?: number;
  };
  switch (func as FuncName) {
    case 'dns-fault':
      return control('POST', `${trim(a.api)}/v1/faults`, a.rule);
    case 'dns-clear-faults':
      return control('DELETE', `${trim(a.api)}/v1/faults`);
    case 'dns-change': {
      const { api, zone, ...batch } = r.data as { api: string; zone: string };
      return control('POST', `${trim(api)}/v1/zones/${encodeURIComponent(zone)}/changes`, batch);
    }
    case 'proxy-create':
      return control('POST', `${trim(a.api)}/proxies`, a.proxy);
    case 'proxy-toxic':
      return control('POST', `${trim(a.api)}/proxies/${encodeURIComponent(a.proxy)}/toxics`, a.toxic);
    case 'proxy-remove-toxic':
      return control(
        'DELETE',
        `${trim(a.api)}/proxies/${encodeURIComponent(a.proxy)}/toxics/${encodeURIComponent(a.toxic)}`,
      );
    case 'proxy-http-fault':
      return control('POST', `${trim(a.api)}/proxies/${encodeURIComponent(a.proxy)}/http_faults`, a.fault);
    case 'proxy-clear-http-faults':
      return control('DELETE', `${trim(a.api)}/proxies/${encodeURIComponent(a.proxy)}/http_faults`);
    case 'proxy-reset':
      return control('POST', `${trim(a.api)}/reset`);
    case 'health-lie': {
      const { url: u, ...lie } = r.data as { url: string };
      return control('POST', `${trim(u)}/lie`, lie);
    }
    case 'health-truth':
      return control('DELETE', `${trim(a.url)}/lie`);
    case 'process-kill':
      return ctx.services.kill(a.service, a.signal);
    case 'process-restart':
      return ctx.services.restart(a.service, ctx.signal);
    case 'region-failover':
    case 'region-failback': {
      const s = a as unknown as Zod.output<typeof regionSwitch>;
      return control(s.method, s.url, s.body ?? { active: s.region }, ms(s.timeout_s, 10_000));
    }
    case 'wait':
      await ctx.clock.sleep(ms(a.seconds, 0), ctx.signal);
      return { waited_s: a.seconds };
    case 'http-probe': {
      const p = a as unknown as Zod.output<(typeof schemas)['http-probe']>;
      try {
        return await httpCall(p.method, p.url, {
          ...(p.body === undefined ? {} : { body: p.body }),
          ...(p.headers === undefined ? {} : { headers: p.headers }),
          timeoutMs: ms(p.timeout_s, 5_000),
        });
      } catch (error) {
        return { status: 0, headers: {}, body: (error as Error).message };
      }
    }
    case 'tcp-probe':
      return tcpOpen(a.host, a.port, ms(a.timeout_s, 2_000));
    case 'dns-probe': {
      const p = a as unknown as Zod.output<(typeof schemas)['dns-probe']>;
      const [host, port] = p.server.split(':') as [string, string];
      try {
        const reply = await probe(host, Number(port), p.name, {
          type: p.type,
          transport: p.transport,
          timeoutMs: ms(p.timeout_s, 2_000),
        });
        return {
          rcode: reply.rcode,
          addresses: reply.answers.filter((x) => x.type === p.type).map((x) => String(x.data)),
        };
      } catch (error) {
        return { rcode: 'TIMEOUT', addresses: [], error: (error as Error).message };
      }
    }
    case 'write-read': {
      const p = a as unknown as Zod.output<(typeof schemas)['write-read']>;
      const key = p.key ?? `probe-${process.pid}-${++writeSeq}`;
      const value = `${key}@${ctx.clock.now()}`;
      const target = `${trim(p.url)}/${encodeURIComponent(key)}`;
      const timeoutMs = ms(p.timeout_s, 2_000);
      try {
        const put = await httpCall('PUT', target, { body: value, timeoutMs });
        if (put.status >= 300) return false;
        const got = await httpCall('GET', target, { timeoutMs });
        return got.status === 200 && got.body === value;
      } catch {
        return false;
      }
    }
  }
}
