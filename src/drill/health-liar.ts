/**
 * A health source that can be made to lie: what the `health-lie` and `health-truth` funcs drive.
 * It serves, on loopback, the health of each target as a monitor sees it:
 *
 * | method and path | answer |
 * |---|---|
 * | `GET /health/{target}` | 200 `{ target, healthy, lying }` (503 when it reports down) |
 * | `GET /health` | 200 `{ targets: { name: healthy } }` |
 * | `POST /lie` `{ report: down\|up, target? }` | 200: from now on reports `report` for `target` (default every target) |
 * | `DELETE /lie` | 200: reports the truth again |
 *
 * The truth is a GET of the target's URL (healthy when it answers below 500 within 1 s).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FailsmallError } from '../core/errors.js';

/** Options of {@link startLyingHealthSource}. */
export interface LyingHealthSourceOptions {
  /** Targets by name: the URL whose answer is the truth. */
  readonly targets: Readonly<Record<string, string>>;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (the OS picks). */
  readonly port?: number;
}

/** A running lying health source. */
export interface LyingHealthSource {
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  /** The current lie per target (`*` for every target), if any. */
  lies(): Record<string, 'down' | 'up'>;
  close(): Promise<void>;
}

async function truth(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

/**
 * Starts a lying health source on loopback.
 *
 * @example
 * const source = await startLyingHealthSource({ targets: { a: 'http://127.0.0.1:8080/' } });
 */
export async function startLyingHealthSource(options: LyingHealthSourceOptions): Promise<LyingHealthSource> {
  const lies = new Map<string, 'down' | 'up'>();
  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const healthOf = async (name: string): Promise<{ healthy: boolean; lying: boolean }> => {
    const lie = lies.get(name) ?? lies.get('*');
    if (lie !== undefined) return { healthy: lie === 'up', lying: true };
    return { healthy: await truth(options.targets[name]!), lying: false };
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      if (body.length < 65_536) body += c;
    });
    req.on('end', () => {
      void (async () => {
        if (req.method === 'GET' && path === '/health') {
          const targets: Record<string, boolean> = {};
          for (const name of Object.keys(options.targets)) targets[name] = (await healthOf(name)).healthy;
          return send(res, 200, { targets });
        }
        const m = /^\/health\/([^/]+)$/.exec(path);
        if (req.method === 'GET' && m !== null) {
          const name = decodeURIComponent(m[1]!);
          if (!(name in options.targets)) return send(res, 404, { error: `no target ${name}` });
          const h = await healthOf(name);
          return send(res, h.healthy ? 200 : 503, { target: name, ...h });
        }
        if (path === '/lie' && req.method === 'DELETE') {
          lies.clear();
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
          if (target !== '*' && !(target in options.targets)) return send(res, 404, { error: `no target ${target}` });
          lies.set(target, input.report);
          return send(res, 200, { lies: Object.fromEntries(lies) });
        }
        send(res, 404, { error: 'not found' });
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new FailsmallError('FS_ERR_DRILL_SERVICE', `the health source cannot listen: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    lies: () => Object.fromEntries(lies),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
