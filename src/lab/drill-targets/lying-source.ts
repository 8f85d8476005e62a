/**
 * A health source that can be made to lie, for examples/drills/lying-health-monitor.yaml: it wraps an
 * honest health/ source and, while a lie is set for a target (or for every target), answers the lie
 * instead of checking, as the load balancer's health checks misreported healthy nodes on 2025-10-20.
 * A health/ {@link HealthMonitor} votes on what it answers, so the drill exercises failsmall's own
 * rise/fall, quorum and guardrails against the lie.
 *
 * {@link serveLyingSource} is its control surface on loopback, what the drill's `health-lie` and
 * `health-truth` funcs call:
 *
 * | method and path | answer |
 * |---|---|
 * | `POST /lie` `{ report: down\|up, target? }` | 200 `{ lies }`: from now on answers `report` for `target` (default every target) |
 * | `DELETE /lie` | 200 `{ lies: {} }`: checks honestly again |
 * | `GET /health/{target}` | 200 or 503 `{ target, healthy, lying }`: what the source answers now |
 * | `GET /health` | 200 `{ targets: { id: healthy }, lies, ...state() }` |
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkResultOf, type HealthSource, type HealthTarget, type RiseFallOptions } from '../../health/index.js';
import { readBody } from './read-body.js';
import { listening } from '../../core/listening.js';

/** What a lie reports. */
export type Lie = 'down' | 'up';

/** A {@link HealthSource} that answers its lies, else what the honest source answers. */
export class LyingSource implements HealthSource {
  readonly name: string;
  readonly riseFall?: RiseFallOptions;
  readonly #honest: HealthSource;
  readonly #lies = new Map<string, Lie>();

  /** @param honest - the source it wraps; its name and rise/fall are this source's. */
  constructor(honest: HealthSource) {
    this.#honest = honest;
    this.name = honest.name;
    if (honest.riseFall !== undefined) this.riseFall = honest.riseFall;
  }

  check(target: HealthTarget, signal: AbortSignal): Promise<unknown> {
    const lie = this.#lies.get(target.id) ?? this.#lies.get('*');
    return lie === undefined ? this.#honest.check(target, signal) : Promise.resolve(lie === 'up');
  }

  /** From now on answers `report` for `target` (default every target: `*`). */
  lie(report: Lie, target = '*'): void {
    this.#lies.set(target, report);
  }

  /** Checks honestly again. */
  truth(): void {
    this.#lies.clear();
  }

  /** The lies in force, by target (`*` for every target). */
  lies(): Record<string, Lie> {
    return Object.fromEntries(this.#lies);
  }
}

/** A running control surface. */
export interface LyingSourceServer {
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the control surface of `source` for `targets` on loopback (`port` 0: the OS picks);
 * `state` adds to the answer of `GET /health` (the monitor's set, say).
 *
 * @example
 * const liar = new LyingSource(httpProbe({ name: 'nlb', path: '/' }));
 * const control = await serveLyingSource(liar, targets, { port: 0 });
 */
export async function serveLyingSource(
  source: LyingSource,
  targets: readonly HealthTarget[],
  options: { readonly port?: number; readonly host?: string; readonly state?: () => Record<string, unknown> } = {},
): Promise<LyingSourceServer> {
  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const answer = async (target: HealthTarget): Promise<{ healthy: boolean; lying: boolean }> => {
    const lying = target.id in source.lies() || '*' in source.lies();
    let result: unknown;
    try {
      result = await source.check(target, AbortSignal.timeout(1_000));
    } catch {
      result = undefined;
    }
    return { healthy: checkResultOf(result) === 'pass', lying };
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const body = await readBody(req);
      if (path === '/lie' && req.method === 'DELETE') {
        source.truth();
        return send(res, 200, { lies: {} });
      }
      if (path === '/lie' && req.method === 'POST') {
        let input: { report?: unknown; target?: unknown };
        try {
          input = JSON.parse(body) as typeof input;
        } catch {
          return send(res, 400, { error: 'expected a JSON body' });
        }
        if (input.report !== 'down' && input.report !== 'up')
          return send(res, 400, { error: 'report: expected down or up' });
        const target = typeof input.target === 'string' ? input.target : '*';
        if (target !== '*' && !targets.some((t) => t.id === target))
          return send(res, 404, { error: `no target ${target}` });
        source.lie(input.report, target);
        return send(res, 200, { lies: source.lies() });
      }
      if (req.method === 'GET' && path === '/health') {
        const health: Record<string, boolean> = {};
        for (const t of targets) health[t.id] = (await answer(t)).healthy;
        return send(res, 200, { targets: health, lies: source.lies(), ...options.state?.() });
      }
      const m = /^\/health\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && m !== null) {
        const id = decodeURIComponent(m[1]!);
        const target = targets.find((t) => t.id === id);
        if (target === undefined) return send(res, 404, { error: `no target ${id}` });
        const h = await answer(target);
        return send(res, h.healthy ? 200 : 503, { target: id, ...h });
      }
      send(res, 404, { error: 'not found' });
    })();
  });
  const host = options.host ?? '127.0.0.1';
  await listening(server, (done) => server.listen(options.port ?? 0, host, done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
