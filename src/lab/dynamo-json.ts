/**
 * The DynamoDB JSON 1.0 wire format as the lab's table service speaks it: error shapes (the `__type`
 * strings the AWS SDK classifies), the overload answers, attribute-value checks, and writing a
 * response with DynamoDB's headers (request id, CRC32 of the body).
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import zlib from 'node:zlib';

/** What an overloaded node answers once its queue is full. */
export type OverloadAnswer = 'throughput' | 'throttling' | 'unavailable';

/** A DynamoDB attribute value (`{ S: 'x' }`, `{ N: '1' }`, …), kept as sent. */
export type AttributeValue = Record<string, unknown>;

/** The namespace of DynamoDB's own error types. */
export const errorPrefix = 'com.amazonaws.dynamodb.v20120810#';
const attributeTypes = new Set(['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL']);

/** An error answer: HTTP status, `__type` and message. */
export interface ApiError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

/** Builds an {@link ApiError}. */
export function apiError(status: number, type: string, message: string): ApiError {
  return { status, type, message };
}

/** A `ValidationException` with `message`. */
export function validationError(message: string): ApiError {
  return apiError(400, `${errorPrefix}ValidationException`, message);
}

/** The answer of a node whose queue is full. */
export function overloadError(kind: OverloadAnswer): ApiError {
  switch (kind) {
    case 'throughput':
      return apiError(
        400,
        `${errorPrefix}ProvisionedThroughputExceededException`,
        'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
      );
    case 'throttling':
      return apiError(
        400,
        'com.amazon.coral.availability#ThrottlingException',
        'Rate of requests exceeds the allowed throughput.',
      );
    case 'unavailable':
      return apiError(503, 'com.amazon.coral.availability#ServiceUnavailableException', 'Service Unavailable');
  }
}

/** Whether `v` is one attribute value (exactly one known type key). */
export function isAttributeValue(v: unknown): v is AttributeValue {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && attributeTypes.has(keys[0]!);
}

/** Whether `v` is a non-empty map of attribute values (an item or a key). */
export function isAttributeMap(v: unknown): v is Record<string, AttributeValue> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const entries = Object.entries(v);
  return entries.length > 0 && entries.every(([, value]) => isAttributeValue(value));
}

/**
 * Writes a JSON 1.0 response (nothing when the response is already sent or gone); with `close`, asks
 * the client to close the connection after it (`Connection: close`).
 */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const buffer = Buffer.from(JSON.stringify(body));
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': buffer.length,
    'x-amzn-requestid': randomUUID(),
  };
  if (close) headers['connection'] = 'close';
  // DynamoDB sends a CRC32 of the body; Node >= 20.15 computes it natively.
  const crc32 = (zlib as unknown as { crc32?: (data: Buffer) => number }).crc32;
  if (crc32 !== undefined) headers['x-amz-crc32'] = String(crc32(buffer));
  res.writeHead(status, headers);
  res.end(buffer);
}
