/**
 * The `node:http` adapter: wraps a request handler so that every request passes the admission
 * first. Shed and malformed requests are answered by the wrapper (see `http-answer.ts`); admitted
 * ones reach your handler, and their permit is released when the response finishes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { func } from '../core/validate.js';
import type { Admission } from './admission.js';
import { admitExchange, isAnswer, resolveHttpOptions, writeAnswer } from './http-answer.js';
import type { HttpAdmitOptions } from './http-answer.js';

/** A `node:http` request handler. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Wraps `handler` behind `admission`.
 *
 * @example
 * const admit = admission({ limit: aimd({ initialLimit: 50 }) });
 * http.createServer(admitHandler(admit, (req, res) => res.end('ok'))).listen(8080);
 */
export function admitHandler(
  admission: Admission,
  handler: RequestHandler,
  options?: HttpAdmitOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  func('handler', handler);
  const resolved = resolveHttpOptions(options);
  return (req, res) => {
    admitExchange(admission, req, res, resolved).then(
      async (outcome) => {
        if (isAnswer(outcome)) return writeAnswer(res, outcome);
        try {
          await handler(req, res);
        } catch (error) {
          if (!res.headersSent) writeAnswer(res, { status: 500, headers: {}, body: '' });
          else res.destroy(error as Error);
        }
      },
      (error: unknown) => {
        writeAnswer(res, { status: 500, headers: {}, body: '' });
        process.emitWarning(`failsmall admit: ${String(error)}`, 'FailsmallAdmitWarning');
      },
    );
  };
}
