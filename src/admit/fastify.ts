/**
 * The fastify plugin: an `onRequest` hook admits each request; shed and malformed requests are
 * answered through fastify's reply, admitted ones release their permit when the response finishes.
 * It imports nothing from fastify (a structural type stands in for the instance), and skips
 * fastify's encapsulation so that it guards every route of the instance it is registered on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalid } from '../core/validate.js';
import { Admission } from './admission.js';
import { admitExchange, isAnswer, resolveHttpOptions } from './http-answer.js';
import type { HttpAdmitOptions } from './http-answer.js';

/** Options of {@link fastifyAdmit}: the admission and the adapter options. */
export interface FastifyAdmitOptions extends HttpAdmitOptions {
  readonly admission: Admission;
}

/** The part of a fastify request the plugin reads. */
export interface FastifyRequestLike {
  readonly raw: IncomingMessage;
}

/** The part of a fastify reply the plugin uses. */
export interface FastifyReplyLike {
  readonly raw: ServerResponse;
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

/** The part of a fastify instance the plugin uses. */
export interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>): unknown;
}

/**
 * The plugin. Register it with the admission in its options.
 *
 * @example
 * const app = Fastify();
 * await app.register(fastifyAdmit, { admission: admission({ maxQueue: 50 }) });
 * app.get('/', async () => 'ok');
 */
export function fastifyAdmit(
  instance: FastifyInstanceLike,
  options: FastifyAdmitOptions,
  done: (error?: Error) => void,
): void {
  if (typeof options !== 'object' || options === null || !(options.admission instanceof Admission)) {
    invalid('admission', 'an Admission (from admission())', options?.admission);
  }
  const { admission, ...rest } = options;
  const resolved = resolveHttpOptions(rest);
  instance.addHook('onRequest', async (request, reply) => {
    const outcome = await admitExchange(admission, request.raw, reply.raw, resolved);
    if (!isAnswer(outcome)) return undefined;
    reply.code(outcome.status).headers({ ...outcome.headers });
    // An async hook that answers early returns the reply (fastify's rule for async hooks).
    return reply.send(outcome.body);
  });
  done();
}

// fastify-plugin's convention: no encapsulation, so the hook applies to the parent's routes.
Object.defineProperty(fastifyAdmit, Symbol.for('skip-override'), { value: true });
Object.defineProperty(fastifyAdmit, Symbol.for('fastify.display-name'), { value: 'failsmall-admit' });
