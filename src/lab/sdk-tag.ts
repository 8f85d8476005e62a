/**
 * Tags one AWS SDK v3 command so that the lab can count its HTTP attempts: a middleware placed just
 * inside the SDK's retry middleware runs once per attempt, counts it, and stamps the group and the
 * logical request id as headers the table service counts too ({@link groupHeader},
 * {@link requestHeader}). Structural types only: no import of the SDK here.
 */
import { groupHeader, requestHeader } from './table-service.js';

/** The part of an SDK command this needs: its middleware stack (typed loosely on purpose). */
export interface TaggableCommand {
  readonly middlewareStack: object;
}

type Middleware = (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>;
type AddRelativeTo = (
  middleware: Middleware,
  options: { relation: 'before' | 'after'; toMiddleware: string; name?: string; override?: boolean },
) => void;

/** The tag of one logical request; `attempts` grows as the SDK sends attempts. */
export interface AttemptTag {
  readonly group: string;
  readonly request: string;
  /** SDK attempts so far (one per pass through the retry loop). */
  attempts: number;
}

/**
 * Adds the attempt-counting middleware to `command` and returns its tag.
 *
 * @example
 * const command = new GetItemCommand({ TableName: 'orders', Key: { id: { S: '1' } } });
 * const tag = tagCommand(command, 'baseline', 'req-1');
 * await client.send(command);
 * console.log(tag.attempts); // 1 when the first attempt succeeded
 */
export function tagCommand(command: TaggableCommand, group: string, request: string): AttemptTag {
  const tag: AttemptTag = { group, request, attempts: 0 };
  const stack = command.middlewareStack as { addRelativeTo: AddRelativeTo };
  stack.addRelativeTo(
    (next) => (args) => {
      tag.attempts++;
      const req = (args as { request?: { headers?: Record<string, string> } }).request;
      if (req?.headers !== undefined) {
        req.headers[groupHeader] = group;
        req.headers[requestHeader] = request;
      }
      return next(args);
    },
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'failsmallLabAttempt', override: true },
  );
  return tag;
}
