/**
 * The HTTP mode of a proxy: an HTTP/1.1 reverse proxy to `http://upstream` that applies the proxy's
 * {@link HttpFault} rules per request (see http-faults.ts for the actions). Requests that no rule hits
 * are forwarded with their method, path and headers (hop-by-hop headers dropped) over a keep-alive
 * agent; the upstream's answer is streamed back.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import { faultDelay } from '../fault-rules.js';
import type { Upstream } from './connection.js';
import { awsErrors, decideHttpFault, type HttpFault } from './http-faults.js';

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

function forwardHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !hopByHop.has(k)) out[k] = v;
  return out;
}

/** What the HTTP mode needs from its proxy. */
export interface HttpFaultServerOptions {
  readonly upstream: Upstream;
  readonly rules: () => readonly HttpFault[];
  readonly clock: Clock;
  readonly random: Random;
}

/** Creates the (unbound) HTTP server of an HTTP-mode proxy; `close` ends its agent. */
export function createHttpFaultServer(options: HttpFaultServerOptions): { server: http.Server; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const { clock, random } = options;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const rule = decideHttpFault(options.rules(), req.method ?? 'GET', path, clock.now(), random);
    const act = (): void => {
      if (rule === undefined || rule.action === 'delay') return forward(req, res, undefined);
      if (rule.action === 'hang') return; // never answered; the socket closes with the client or the proxy
      if (rule.action === 'truncate') return forward(req, res, rule.truncateAfter);
      req.resume();
      const headers: http.OutgoingHttpHeaders = {};
      if (rule.retryAfter !== undefined) headers['retry-after'] = String(rule.retryAfter);
      let status: number;
      let body: string;
      if (rule.action === 'aws-error') {
        const answer = awsErrors[rule.awsError!];
        status = answer.status;
        body = answer.body;
        headers['content-type'] = answer.contentType;
        headers['x-amzn-requestid'] = randomUUID();
        Object.assign(headers, answer.headers);
      } else {
        status = rule.status;
        body = rule.body ?? JSON.stringify({ message: `failsmall fault: ${rule.status}` });
        headers['content-type'] = rule.body === undefined ? 'application/json' : 'text/plain';
      }
      Object.assign(headers, rule.headers);
      headers['content-length'] = Buffer.byteLength(body);
      res.writeHead(status, headers);
      res.end(body);
    };
    const delay = rule === undefined ? 0 : faultDelay(rule, random);
    if (delay > 0) {
      const cancel = clock.setTimer(act, delay);
      res.once('close', cancel);
    } else act();
  });

  function forward(req: http.IncomingMessage, res: http.ServerResponse, truncateAfter: number | undefined): void {
    const up = http.request(
      {
        host: options.upstream.host,
        port: options.upstream.port,
        method: req.method,
        path: req.url,
        headers: forwardHeaders(req.headers),
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, forwardHeaders(answer.headers));
        if (truncateAfter === undefined) {
          answer.pipe(res);
          return;
        }
        let left = truncateAfter;
        answer.on('data', (data: Buffer) => {
          if (left > 0) res.write(data.subarray(0, left));
          left -= data.length;
          if (left <= 0) {
            answer.destroy();
            // Flush what was written, then cut the connection without finishing the body.
            res.socket?.end(() => res.socket?.destroy());
          }
        });
        answer.on('end', () => res.socket?.destroy());
      },
    );
    up.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'failsmall proxy: upstream unreachable' }));
      } else res.destroy();
    });
    res.once('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }

  server.keepAliveTimeout = 5_000;
  return { server, close: () => agent.destroy() };
}
