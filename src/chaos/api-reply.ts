/**
 * How every control API of chaos/ answers (the fault DNS server's and the fault proxy's): it runs the
 * guard and the route, turns a thrown error into that API's error reply, and writes the JSON body,
 * never cached.
 */
import type http from 'node:http';
import { bearerChallenge } from './http-guard.js';

/** An API's answer: its status and JSON body (none: an empty body, as a 204 has). */
export interface ApiReply {
  readonly status: number;
  readonly body?: unknown;
}

/** How an API writes its JSON: its `Content-Type`, and whether the body ends with a newline. */
export interface ApiReplyFormat {
  readonly contentType: string;
  readonly newline?: boolean;
}

/**
 * Writes the reply of `route` to `res`, or `errorReply(error)` when it throws (the guard's checks run
 * inside `route`): after a 413 or 415 the connection is closed (the body was not read to its end), a
 * 401 carries `WWW-Authenticate: Bearer` (RFC 6750 §3). Every answer is `Cache-Control: no-store`.
 *
 * @example
 * await sendApiReply(res, async () => route(req), errorReply, { contentType: 'application/json' });
 */
export async function sendApiReply(
  res: http.ServerResponse,
  route: () => Promise<ApiReply>,
  errorReply: (error: unknown) => ApiReply,
  format: ApiReplyFormat,
): Promise<void> {
  let reply: ApiReply;
  try {
    reply = await route();
  } catch (error) {
    reply = errorReply(error);
    if (reply.status === 413 || reply.status === 415) res.setHeader('connection', 'close');
    if (reply.status === 401) res.setHeader('www-authenticate', bearerChallenge);
  }
  if (reply.body === undefined) {
    res.writeHead(reply.status, { 'cache-control': 'no-store' });
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body) + (format.newline === true ? '\n' : '');
  res.writeHead(reply.status, {
    'content-type': format.contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
