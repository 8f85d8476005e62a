/**
 * Toxics as Toxiproxy defines them: a `type`, a `stream` (`upstream` = client → server, `downstream` =
 * server → client, the default), a `toxicity` (the probability, drawn once per connection and
 * direction, that the toxic applies to it; default 1) and `attributes` (integers, 0 when absent):
 *
 * | type | attributes | effect |
 * |---|---|---|
 * | `latency` | `latency`, `jitter` (ms) | every chunk is delivered `latency ± jitter` ms after it was read |
 * | `bandwidth` | `rate` (KB/s, 1 KB = 1000 bytes; 0 = unlimited) | data passes at most at `rate` |
 * | `slow_close` | `delay` (ms) | the close (FIN) is passed on `delay` ms late |
 * | `timeout` | `timeout` (ms) | data is dropped; the connection closes after `timeout` (0 = never) |
 * | `reset_peer` | `timeout` (ms) | on the first data, after `timeout`, both sockets are reset (RST) |
 * | `slicer` | `average_size`, `size_variation` (bytes), `delay` (µs) | chunks are cut into small pieces, `delay` apart |
 * | `limit_data` | `bytes` | the connection closes once `bytes` have passed |
 * | `noop` | | nothing |
 *
 * Validation follows Toxiproxy's answers (400 `bad request body: …`, `invalid toxic type`, the stream
 * message) and is stricter only where Toxiproxy would misbehave: attributes must be non-negative
 * integers and `toxicity` a number in [0, 1]. Unknown attribute keys are ignored, as Toxiproxy does.
 *
 * @see https://github.com/Shopify/toxiproxy#toxics
 */
import { ProxyErrorCodes, proxyError } from './error-codes.js';

/** The attribute names of each toxic type, in Toxiproxy's JSON order. */
export const toxicAttributes = {
  latency: ['latency', 'jitter'],
  bandwidth: ['rate'],
  slow_close: ['delay'],
  timeout: ['timeout'],
  reset_peer: ['timeout'],
  slicer: ['average_size', 'size_variation', 'delay'],
  limit_data: ['bytes'],
  noop: [],
} as const satisfies Record<string, readonly string[]>;

/** A toxic type. */
export type ToxicType = keyof typeof toxicAttributes;

/** The direction a toxic acts on: `upstream` (client → server) or `downstream` (server → client). */
export type ToxicStream = 'upstream' | 'downstream';

/** A toxic as the API shows it (Toxiproxy's JSON). */
export interface Toxic {
  readonly attributes: Readonly<Record<string, number>>;
  readonly name: string;
  readonly type: ToxicType;
  readonly stream: ToxicStream;
  readonly toxicity: number;
}

function isToxicType(type: string): type is ToxicType {
  return Object.hasOwn(toxicAttributes, type);
}

function badBody(message: string): never {
  proxyError(ProxyErrorCodes.BAD_REQUEST, `bad request body: ${message}`);
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) badBody(`expected ${what} to be an object`);
  return value as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') badBody(`expected ${key} to be a string, got ${JSON.stringify(v)}`);
  return v;
}

function toxicityField(value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    badBody(`expected toxicity to be a number in [0, 1], got ${JSON.stringify(value)}`);
  return value;
}

function attributesOf(type: ToxicType, raw: unknown, base: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of toxicAttributes[type]) out[key] = base[key] ?? 0;
  if (raw === undefined || raw === null) return out;
  const attrs = asObject(raw, 'attributes');
  for (const key of toxicAttributes[type]) {
    const v = attrs[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      badBody(`expected attributes.${key} to be a non-negative integer, got ${JSON.stringify(v)}`);
    out[key] = v;
  }
  return out;
}

/**
 * Validates the body of `POST /proxies/{proxy}/toxics` into a {@link Toxic}: `stream` defaults to
 * `downstream`, `toxicity` to 1, `name` to `<type>_<stream>`. Throws `FS_ERR_PROXY_BAD_REQUEST`,
 * `FS_ERR_PROXY_INVALID_STREAM` or `FS_ERR_PROXY_INVALID_TOXIC_TYPE` with Toxiproxy's message.
 *
 * @example
 * parseToxic({ type: 'latency', attributes: { latency: 1000 } });
 * // { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1000, jitter: 0 } }
 */
export function parseToxic(input: unknown): Toxic {
  const body = asObject(input, 'a toxic');
  const stream = stringField(body, 'stream') ?? 'downstream';
  if (stream !== 'upstream' && stream !== 'downstream')
    proxyError(ProxyErrorCodes.INVALID_STREAM, 'stream was invalid, can be either upstream or downstream');
  const type = stringField(body, 'type') ?? '';
  const name = stringField(body, 'name') || `${type}_${stream}`;
  if (!isToxicType(type)) proxyError(ProxyErrorCodes.INVALID_TOXIC_TYPE, 'invalid toxic type');
  const toxicity = toxicityField(body['toxicity'], 1);
  return { attributes: attributesOf(type, body['attributes'], {}), name, type, stream, toxicity };
}

/**
 * Applies the body of `POST /proxies/{proxy}/toxics/{toxic}` to `toxic`: given attributes replace
 * the old ones, the others stay; `toxicity` stays unless given (name, type and stream never change).
 *
 * @example
 * updateToxic(latency, { attributes: { jitter: 50 } }); // latency kept, jitter 50
 */
export function updateToxic(toxic: Toxic, input: unknown): Toxic {
  const body = asObject(input, 'a toxic');
  return {
    ...toxic,
    attributes: attributesOf(toxic.type, body['attributes'], toxic.attributes),
    toxicity: toxicityField(body['toxicity'], toxic.toxicity),
  };
}
