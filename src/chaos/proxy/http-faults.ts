/**
 * HTTP fault rules of the fault proxy's HTTP mode: which requests to fail, and how. A rule matches by
 * method (any by default) and path glob (`*` any run of characters, `?` one; matched against the path
 * without its query, case-sensitive; default `*`), while its time window is open, and fires with its
 * `probability`: the same window, draw and glob as the fault DNS server's rules (`faultWindow`,
 * `ruleActive`, `fires`, `faultDelay` in fault-rules.ts, `matchName` in name-pattern.ts). The first rule
 * that matches and fires decides; the decision {@link decideHttpFault} is pure.
 *
 * Actions:
 * - `status`: answer `status` (default 503) without calling the upstream, with `retryAfter` (s) as
 *   `Retry-After`, `headers` and `body` (default a small JSON message).
 * - `aws-error`: answer as an AWS service that throttles: `awsError` is one of {@link awsErrors}
 *   (DynamoDB's JSON 1.0 `ThrottlingException`, `ProvisionedThroughputExceededException`,
 *   `RequestLimitExceeded` with `x-amzn-ErrorType`, or S3's XML `SlowDown` 503).
 * - `delay`: forward the request after `delayMs` (± `jitterMs`): latency per route.
 * - `hang`: accept the request and never answer (until the client gives up or the proxy closes).
 * - `truncate`: forward, then send the status, the headers and only the first `truncateAfter` bytes
 *   of the body, and close the connection: a body cut short.
 *
 * Any rule may carry `delayMs`/`jitterMs`: a slow 503 is `{ action: 'status', delayMs: 2000 }`.
 */
import type * as Zod from 'zod';
import { lazyPeer } from '../../core/optional-peer.js';
import type { Random } from '../../core/random.js';
import {
  checkWindowFields,
  firstFiring,
  ruleActive,
  timedFault,
  timedFaultFields,
  type TimedFault,
  type TimedFaultInput,
} from '../fault-rules.js';
import { matchName } from '../name-pattern.js';
import { parseOrThrow } from '../zone-schema.js';

/** Every HTTP fault action. */
export const httpFaultActions = ['status', 'aws-error', 'delay', 'hang', 'truncate'] as const;

/** An HTTP fault action. */
export type HttpFaultAction = (typeof httpFaultActions)[number];

/** An AWS error answer: status, headers and body as the service sends them. */
export interface AwsErrorAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

function dynamo(type: string, message: string): AwsErrorAnswer {
  return {
    status: 400,
    contentType: 'application/x-amz-json-1.0',
    headers: { 'x-amzn-ErrorType': type },
    body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
  };
}

/** The AWS errors an `aws-error` rule can answer with. */
export const awsErrors = {
  ThrottlingException: dynamo('ThrottlingException', 'Rate of requests exceeds the allowed throughput.'),
  ProvisionedThroughputExceededException: dynamo(
    'ProvisionedThroughputExceededException',
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  ),
  RequestLimitExceeded: dynamo(
    'RequestLimitExceeded',
    'Throughput exceeds the current throughput limit for your account. Please contact AWS Support to request a limit increase.',
  ),
  SlowDown: {
    status: 503,
    contentType: 'application/xml',
    headers: {},
    body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
  },
} as const satisfies Record<string, AwsErrorAnswer>;

/** The name of an AWS error of {@link awsErrors}. */
export type AwsErrorName = keyof typeof awsErrors;

/** An HTTP fault rule as given to the API (its window is on the proxy's clock). */
export interface HttpFaultInput extends TimedFaultInput {
  /** 1-64 letters, digits, `-` or `_`; default `h1`, `h2`, … */
  readonly id?: string;
  /** A method or list of methods (case-insensitive); default any. */
  readonly method?: string | readonly string[];
  /** A path glob (`*`, `?`), matched against the path without the query; default `*`. */
  readonly path?: string;
  readonly action: HttpFaultAction;
  /** The status of a `status` rule, 100-599; default 503. */
  readonly status?: number;
  /** `Retry-After` in seconds (status and aws-error rules); default none. */
  readonly retryAfter?: number;
  /** The body of a `status` rule; default `{"message":"failsmall fault: <status>"}`. */
  readonly body?: string;
  /** Extra response headers of a `status` or `aws-error` rule. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The error of an `aws-error` rule. */
  readonly awsError?: AwsErrorName;
  /** Body bytes a `truncate` rule lets through before closing; default 0. */
  readonly truncateAfter?: number;
}

/** A validated HTTP fault rule. */
export interface HttpFault extends TimedFault {
  readonly id: string;
  /** Upper-case methods; empty = any. */
  readonly methods: readonly string[];
  readonly path: string;
  readonly action: HttpFaultAction;
  readonly status: number;
  readonly retryAfter: number | undefined;
  readonly body: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly awsError: AwsErrorName | undefined;
  readonly truncateAfter: number;
}

const awsErrorNames = Object.keys(awsErrors) as AwsErrorName[];

/** The zod schema of {@link HttpFaultInput}, built on first use (zod is an optional peer, loaded then). */
const httpFaultSchema = lazyPeer('zod', 'HTTP fault validation in failsmall/chaos', (zod: typeof Zod) => {
  const { z } = zod;
  return z
    .strictObject({
      ...timedFaultFields(zod),
      method: z
        .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
          error: 'expected a method or a list of methods',
        })
        .optional(),
      path: z.string({ error: 'expected a path glob (a string)' }).min(1).max(2048).optional(),
      action: z.enum(httpFaultActions, {
        error: (issue) => `expected one of ${httpFaultActions.join(', ')}, got ${JSON.stringify(issue.input)}`,
      }),
      status: z
        .number({ error: 'expected an HTTP status' })
        .int('expected an integer status')
        .min(100, 'expected a status >= 100')
        .max(599, 'expected a status <= 599')
        .optional(),
      retryAfter: z.number({ error: 'expected Retry-After in seconds' }).int().min(0).optional(),
      body: z.string().max(1_048_576).optional(),
      headers: z.record(z.string(), z.string()).optional(),
      awsError: z
        .enum(awsErrorNames as [AwsErrorName, ...AwsErrorName[]], {
          error: (issue) => `expected one of ${awsErrorNames.join(', ')}, got ${JSON.stringify(issue.input)}`,
        })
        .optional(),
      truncateAfter: z.number({ error: 'expected a byte count' }).int().min(0).optional(),
    })
    .superRefine((rule, ctx) => {
      if (rule.action === 'aws-error' && rule.awsError === undefined)
        ctx.addIssue({
          code: 'custom',
          message: `an aws-error rule needs awsError (${awsErrorNames.join(', ')})`,
          path: ['awsError'],
        });
      if (rule.action !== 'aws-error' && rule.awsError !== undefined)
        ctx.addIssue({ code: 'custom', message: 'only an aws-error rule takes awsError', path: ['awsError'] });
      if (rule.action !== 'status' && (rule.status !== undefined || rule.body !== undefined))
        ctx.addIssue({
          code: 'custom',
          message: 'only a status rule takes status and body',
          path: [rule.status !== undefined ? 'status' : 'body'],
        });
      if (rule.action !== 'truncate' && rule.truncateAfter !== undefined)
        ctx.addIssue({ code: 'custom', message: 'only a truncate rule takes truncateAfter', path: ['truncateAfter'] });
      checkWindowFields(rule, ctx);
    });
});

/**
 * Validates a rule input into an {@link HttpFault}. Pure: `now` fixes a relative window. Throws
 * `FS_ERR_PROXY_INVALID_HTTP_FAULT` naming the field.
 *
 * @example
 * parseHttpFault({ path: '/orders/*', action: 'status', status: 503, retryAfter: 2, probability: 0.3 }, 'h1', clock.now());
 */
export function parseHttpFault(input: unknown, id: string, now: number): HttpFault {
  const r = parseOrThrow(httpFaultSchema(), input, 'FS_ERR_PROXY_INVALID_HTTP_FAULT');
  const methods = r.method === undefined ? [] : typeof r.method === 'string' ? [r.method] : r.method;
  return {
    id: r.id ?? id,
    methods: [...new Set(methods.map((m) => m.toUpperCase()))],
    path: r.path ?? '*',
    action: r.action,
    status: r.status ?? 503,
    retryAfter: r.retryAfter,
    body: r.body,
    headers: r.headers ?? {},
    awsError: r.awsError,
    truncateAfter: r.truncateAfter ?? 0,
    ...timedFault(r, now),
  };
}

/** True when the rule applies to a request at `now` (window, method, path). Pure. */
export function httpFaultMatches(rule: HttpFault, method: string, path: string, now: number): boolean {
  if (!ruleActive(rule, now)) return false;
  if (rule.methods.length > 0 && !rule.methods.includes(method.toUpperCase())) return false;
  return matchName(rule.path, path);
}

/**
 * The rule that decides a request's fate, or undefined to forward it untouched: the first (in order)
 * that matches and fires. Pure given `random`.
 *
 * @example
 * decideHttpFault(rules, 'POST', '/', clock.now(), random);
 */
export function decideHttpFault(
  rules: readonly HttpFault[],
  method: string,
  path: string,
  now: number,
  random: Random,
): HttpFault | undefined {
  return firstFiring(rules, (rule) => httpFaultMatches(rule, method, path, now), random);
}
