/**
 * The express middleware (also works with connect and any `(req, res, next)` framework). It imports
 * nothing from express: it takes Node's request and response, which express's extend.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Admission } from './admission.js';
import { admitExchange, isAnswer, resolveHttpOptions, writeAnswer } from './http-answer.js';
import type { HttpAdmitOptions } from './http-answer.js';

/** An express-style middleware. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * An express middleware that admits each request through `admission` before the next handler.
 *
 * @example
 * const app = express();
 * app.use(admitMiddleware(admission({ maxQueue: 50 })));
 * app.get('/', (req, res) => res.send('ok'));
 */
export function admitMiddleware(admission: Admission, options?: HttpAdmitOptions): Middleware {
  const resolved = resolveHttpOptions(options);
  return (req, res, next) => {
    admitExchange(admission, req, res, resolved).then(
      (outcome) => (isAnswer(outcome) ? writeAnswer(res, outcome) : next()),
      (error: unknown) => next(error),
    );
  };
}
