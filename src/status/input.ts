/**
 * The shapes of every write, validated with zod. One schema serves the HTTP write API, the responder
 * view and the programmatic API, so each rejects the same bad input with the same field-level errors:
 * `FS_ERR_STATUS_INVALID_INPUT` with `details.errors = [{ field: 'components[0].status', message }]`.
 * Unknown keys are refused.
 */
import { z } from 'zod';
import { FailsmallError } from '../core/errors.js';
import {
  breakerStates,
  componentStatuses,
  incidentImpacts,
  incidentStatuses,
  latencyBoundsMs,
  maintenanceStatuses,
  namePattern,
  type ComponentInput,
  type ComponentStatus,
  type IncidentInput,
  type IncidentUpdateInput,
  type MaintenanceInput,
  type MaintenanceStatus,
  type PublishInput,
  type ReportInput,
} from './model.js';
import { StatusErrorCodes } from './error-codes.js';

/** A field that failed validation. */
export interface FieldError {
  /** The path of the field, `name` or `components[0].status`; empty for the whole input. */
  readonly field: string;
  readonly message: string;
}

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);
const optionalText = (max: number) => z.string().trim().max(max, `at most ${max} characters`).nullable().optional();
const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
const id = z.string().regex(idPattern, 'letters, digits, - and _, 1 to 64 characters');
const time = z.number().finite().nonnegative();
const change = z.object({ id, status: z.enum(componentStatuses) }).strict();
/** A service, dependency, host or set name. */
const name = z.string().regex(namePattern, 'letters, digits and . _ : @ / -, 1 to 128 characters');
const count = z.number().int().nonnegative().max(1e12);
const reason = z.string().max(200).optional();
const signalComponents = z.array(id).max(20).optional();
const signal = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('breaker'),
      dependency: name,
      from: z.enum(breakerStates).optional(),
      to: z.enum(breakerStates),
      reason,
      at: time,
      components: signalComponents,
    })
    .strict(),
  z
    .object({
      kind: z.literal('dns-guard'),
      hostname: name,
      dependency: name.optional(),
      event: z.enum(['engaged', 'released']),
      reason,
      at: time,
      components: signalComponents,
    })
    .strict(),
  z
    .object({
      kind: z.literal('health-escalation'),
      set: name,
      reason: z.string().min(1, 'must not be empty').max(200),
      targets: z.array(z.string().max(128)).max(100),
      at: time,
      components: signalComponents,
    })
    .strict(),
]);
const callStats = z
  .object({
    dependency: name,
    calls: count,
    errors: count,
    rejected: count,
    latencyMsSum: z.number().finite().nonnegative(),
    latencyMsMax: z.number().finite().nonnegative(),
    latencyBuckets: z.array(count).length(latencyBoundsMs.length + 1, `${latencyBoundsMs.length + 1} counts`),
  })
  .strict()
  .refine((c) => c.errors + c.rejected <= c.calls, { path: ['errors'], message: 'errors + rejected exceed calls' })
  .refine((c) => c.latencyBuckets.reduce((a, b) => a + b, 0) <= c.calls, {
    path: ['latencyBuckets'],
    message: 'more latencies than calls',
  });

const schemas = {
  component: z
    .object({
      id: id.optional(),
      name: text(120),
      description: optionalText(500),
      group: text(120),
      position: z.number().int().nonnegative().optional(),
    })
    .strict(),
  componentStatus: z.object({ status: z.enum(componentStatuses) }).strict(),
  incident: z
    .object({
      name: text(200),
      status: z.enum(['investigating', 'identified', 'monitoring']).optional(),
      impact: z.enum(incidentImpacts).optional(),
      body: text(5_000),
      whatYouCanDo: optionalText(2_000),
      components: z.array(change).max(100).optional(),
    })
    .strict(),
  update: z
    .object({
      status: z.enum(incidentStatuses),
      body: text(5_000),
      whatYouCanDo: optionalText(2_000),
      components: z.array(change).max(100).optional(),
      impact: z.enum(incidentImpacts).optional(),
    })
    .strict(),
  maintenance: z
    .object({
      name: text(200),
      body: text(5_000),
      scheduledFor: time,
      scheduledUntil: time,
      components: z.array(id).max(100).optional(),
    })
    .strict()
    .refine((m) => m.scheduledUntil > m.scheduledFor, {
      path: ['scheduledUntil'],
      message: 'must be after scheduledFor',
    }),
  maintenanceStatus: z.object({ status: z.enum(maintenanceStatuses) }).strict(),
  subscriber: z
    .object({
      url: z
        .string()
        .max(2_000)
        .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http: or https: URL'),
    })
    .strict(),
  login: z.object({ token: z.string().min(1, 'must not be empty').max(500) }).strict(),
  report: z
    .object({
      service: name,
      region: name.optional(),
      signals: z.array(signal).max(200).optional(),
      calls: z.array(callStats).max(200).optional(),
    })
    .strict(),
  publish: z
    .object({
      name: text(200).optional(),
      body: text(5_000).optional(),
      impact: z.enum(incidentImpacts).optional(),
      whatYouCanDo: optionalText(2_000),
      components: z.array(change).max(100).optional(),
    })
    .strict(),
  dismiss: z.object({}).strict(),
  catalog: z.object({ source: name.optional(), yaml: z.string().min(1, 'must not be empty').max(60_000) }).strict(),
};

/** The inputs {@link parseInput} knows, by name. */
export type InputKind = keyof typeof schemas;

/** What each input kind parses to. */
export interface ParsedInputs {
  component: ComponentInput;
  componentStatus: { status: ComponentStatus };
  incident: IncidentInput;
  update: IncidentUpdateInput;
  maintenance: MaintenanceInput;
  maintenanceStatus: { status: MaintenanceStatus };
  subscriber: { url: string };
  login: { token: string };
  report: ReportInput;
  publish: PublishInput;
  dismiss: Record<string, never>;
  catalog: { source?: string; yaml: string };
}

function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path)
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out;
}

/**
 * Validates `value` as the input `kind`; returns it (strings trimmed, `null` kept) or throws
 * `FS_ERR_STATUS_INVALID_INPUT` with the field-level errors in `details.errors`.
 *
 * @example
 * const input = parseInput('incident', { name: 'Checkout errors', body: 'Investigating' });
 */
export function parseInput<K extends InputKind>(kind: K, value: unknown): ParsedInputs[K] {
  const result = schemas[kind].safeParse(value);
  if (result.success) return stripUndefined(result.data) as ParsedInputs[K];
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    field:
      issue.code === 'unrecognized_keys'
        ? fieldName([...issue.path, ...issue.keys.slice(0, 1)])
        : fieldName(issue.path),
    message: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message,
  }));
  throw new FailsmallError(
    StatusErrorCodes.INVALID_INPUT,
    `Invalid ${kind}: ${errors.map((e) => `${e.field || '(input)'}: ${e.message}`).join('; ')}`,
    { details: { errors } },
  );
}

/** Drops keys whose value is `undefined` (exactOptionalPropertyTypes). */
function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
  return out;
}

/** Whether `value` is a valid service, dependency or host name (as in a report). */
export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && namePattern.test(value);
}

/** Whether `value` is a valid id (`[A-Za-z0-9_-]{1,64}`). */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && idPattern.test(value);
}
