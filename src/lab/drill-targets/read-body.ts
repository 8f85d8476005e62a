/** The body of a request to a drill target, as text (at most 1 MiB kept). */
import type http from 'node:http';

/** Reads `req` to its end; keeps the first 1 MiB. */
export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body = (body + c).slice(0, 1 << 20)));
    req.on('end', () => resolve(body));
    req.on('error', () => resolve(body));
  });
}
