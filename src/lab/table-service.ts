/**
 * The lab's table service: a small HTTP server that speaks the subset of the DynamoDB JSON 1.0
 * protocol the replay's clients use (`GetItem`, `PutItem`), so the real `@aws-sdk/client-dynamodb`
 * talks to it unchanged. It listens on several loopback addresses on one port (the addresses of the
 * record set, as a regional endpoint fronts several load balancers), each address a node with finite
 * capacity (see {@link Capacity}): overload is real, and beyond the queue the node answers with a
 * throttling error or a 503.
 *
 * No SigV4 verification: any credentials are accepted. Items live in memory.
 *
 * Per client group (the `x-failsmall-group` header) and per logical request (the
 * `x-failsmall-request` header) it counts the HTTP attempts that reached it, which is how the replay
 * measures retry amplification without trusting the clients' own books.
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/Welcome.html
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { FailsmallError, systemClock, validate } from '../core/index.js';
import type { Clock } from '../core/index.js';
import { Capacity } from './capacity.js';
import type { CapacitySnapshot } from './capacity.js';

/** The header a lab client sets to name its group; attempts are counted per group. */
export const groupHeader = 'x-failsmall-group';
/** The header a lab client sets to name its logical request; attempts are counted per request. */
export const requestHeader = 'x-failsmall-request';

/** What an overloaded node answers once its queue is full. */
export type OverloadAnswer = 'throughput' | 'throttling' | 'unavailable';

/** Options of {@link startTableService}. */
export interface TableServiceOptions {
  /**
   * The loopback addresses to listen on, all on the same port; default `127.0.0.2`, `127.0.0.3`,
   * `127.0.0.4` (three nodes, as three load balancers behind one regional name).
   */
  readonly addresses?: readonly string[];
  /** The port, default 0 (chosen by the OS when the first address binds, then reused for the others). */
  readonly port?: number;
  /** Requests in service at once per address; default 32. */
  readonly concurrency?: number;
  /** Requests waiting per address beyond `concurrency`; default 128. */
  readonly queue?: number;
  /** Service time per request, in milliseconds; default 2 ms. */
  readonly serviceTimeMs?: number;
  /**
   * The answer beyond the queue: `throughput` (400 `ProvisionedThroughputExceededException`, the
   * default, what DynamoDB answers a hot table), `throttling` (400 `ThrottlingException`) or
   * `unavailable` (503). The AWS SDK retries all three.
   */
  readonly overload?: OverloadAnswer;
  /**
   * The tables that exist, each with its key attribute names; default `{ orders: ['id'] }`. Any other
   * name gets `ResourceNotFoundException`.
   */
  readonly tables?: Readonly<Record<string, readonly string[]>>;
  /** The clock the service time runs on; default {@link systemClock}. */
  readonly clock?: Clock;
  /**
   * Close a connection after its first response past this age, in milliseconds (`Connection: close`),
   * as front ends that recycle connections do; default Infinity (keep-alive connections live on). This
   * is what makes clients resolve the name again: with connections that live forever, a client never
   * notices that DNS lies.
   */
  readonly maxConnectionAgeMs?: number;
  /** Most logical requests whose attempts are remembered at once; default 1,000,000 (older ones are forgotten). */
  readonly maxTrackedRequests?: number;
}

/** Load counters of one address (one node). */
export interface NodeLoad extends CapacitySnapshot {
  readonly address: string;
  /** HTTP requests received, cumulative (served, rejected, invalid). */
  readonly requests: number;
  /** HTTP connections accepted, cumulative. */
  readonly connections: number;
}

/** Counters of a {@link TableService}, plain JSON. */
export interface TableServiceSnapshot {
  readonly port: number;
  readonly nodes: readonly NodeLoad[];
  /** HTTP attempts that reached the service, per client group (`-` for requests without a group). */
  readonly attemptsByGroup: Readonly<Record<string, number>>;
  /** Requests answered with an overload error, per client group. */
  readonly rejectedByGroup: Readonly<Record<string, number>>;
  /** Items stored, over all tables. */
  readonly items: number;
}

/** A running table service. */
export interface TableService {
  /** The port every address listens on. */
  readonly port: number;
  /** The addresses it listens on. */
  readonly addresses: readonly string[];
  /** `http://<address>:<port>`, for the first address unless one is given. */
  endpoint(address?: string): string;
  /** Attempts that reached the service for the logical request `id`, and forgets them. 0 if none. */
  takeAttempts(id: string): number;
  /** Puts an item directly (test and scenario setup), bypassing capacity. */
  seed(table: string, item: Record<string, AttributeValue>): void;
  /** Plain JSON for metrics. */
  snapshot(): TableServiceSnapshot;
  /** Stops listening, drops every connection and queued request. Idempotent. */
  close(): Promise<void>;
}

/** A DynamoDB attribute value (`{ S: 'x' }`, `{ N: '1' }`, …), kept as sent. */
export type AttributeValue = Record<string, unknown>;

const errorPrefix = 'com.amazonaws.dynamodb.v20120810#';
/** Largest request body accepted, in bytes (DynamoDB's own limit is 16 MB per request, 400 KB per item). */
const maxBodyBytes = 1_048_576;
const attributeTypes = new Set(['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL']);

interface ApiError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

function apiError(status: number, type: string, message: string): ApiError {
  return { status, type, message };
}

function overloadError(kind: OverloadAnswer): ApiError {
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

/** A canonical string for a key: attribute names sorted, values as sent. */
function keyString(key: Record<string, AttributeValue>, names: readonly string[]): string {
  return JSON.stringify(names.map((n) => [n, key[n]]));
}

function isAttributeValue(v: unknown): v is AttributeValue {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && attributeTypes.has(keys[0]!);
}

function isAttributeMap(v: unknown): v is Record<string, AttributeValue> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const entries = Object.entries(v);
  return entries.length > 0 && entries.every(([, value]) => isAttributeValue(value));
}

interface Table {
  /** The key attribute names (partition key, then sort key if any). */
  readonly keyNames: readonly string[];
  readonly items: Map<string, Record<string, AttributeValue>>;
}

/** The item's key as a string, or a ValidationException when the key does not match the schema. */
function tableKey(table: Table, key: Record<string, AttributeValue>, exact: boolean): string | ApiError {
  const given = Object.keys(key);
  const missing = table.keyNames.some((n) => key[n] === undefined);
  if (missing || (exact && given.length !== table.keyNames.length)) {
    return apiError(400, `${errorPrefix}ValidationException`, 'The provided key element does not match the schema');
  }
  return keyString(key, table.keyNames);
}

/**
 * Starts the table service on every address, all on one port.
 *
 * @example
 * const table = await startTableService({ addresses: ['127.0.0.2', '127.0.0.3'] });
 * const client = new DynamoDBClient({
 *   endpoint: table.endpoint(), region: 'us-east-1',
 *   credentials: { accessKeyId: 'lab', secretAccessKey: 'lab' },
 * });
 * await client.send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: '1' } } }));
 * await table.close();
 */
export async function startTableService(options: TableServiceOptions = {}): Promise<TableService> {
  const addresses = [...(options.addresses ?? ['127.0.0.2', '127.0.0.3', '127.0.0.4'])];
  if (addresses.length === 0) validate.invalid('addresses', 'a non-empty array of loopback addresses', addresses);
  for (const [i, a] of addresses.entries()) {
    if (typeof a !== 'string' || !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)) {
      validate.invalid(`addresses[${i}]`, 'an IPv4 loopback address (127.0.0.0/8)', a);
    }
  }
  if (new Set(addresses).size !== addresses.length) validate.invalid('addresses', 'distinct addresses', addresses);
  const wantedPort = validate.nonNegativeInteger('port', options.port ?? 0);
  const overload = validate.oneOf('overload', options.overload ?? 'throughput', [
    'throughput',
    'throttling',
    'unavailable',
  ]);
  const maxTracked = validate.positiveInteger('maxTrackedRequests', options.maxTrackedRequests ?? 1_000_000);
  const clock = options.clock ?? systemClock;
  const maxConnectionAgeMs = validate.duration('maxConnectionAgeMs', options.maxConnectionAgeMs ?? Infinity, true);
  const connectionBorn = new WeakMap<object, number>();
  const capacityOptions = {
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.serviceTimeMs === undefined ? {} : { serviceTimeMs: options.serviceTimeMs }),
    clock,
  };
  const tables = new Map<string, Table>();
  for (const [name, keyNames] of Object.entries(options.tables ?? { orders: ['id'] })) {
    if (!Array.isArray(keyNames) || keyNames.length < 1 || keyNames.length > 2) {
      validate.invalid(`tables.${name}`, 'an array of one or two key attribute names', keyNames);
    }
    tables.set(name, { keyNames: [...keyNames], items: new Map() });
  }

  const attemptsByGroup = new Map<string, number>();
  const rejectedByGroup = new Map<string, number>();
  const attemptsByRequest = new Map<string, number>();

  interface Node {
    readonly address: string;
    readonly server: http.Server;
    readonly capacity: Capacity;
    requests: number;
    connections: number;
  }
  const nodes: Node[] = addresses.map((address) => {
    const node: Node = {
      address,
      server: http.createServer({ keepAliveTimeout: 5_000 }),
      capacity: new Capacity(capacityOptions),
      requests: 0,
      connections: 0,
    };
    node.server.on('connection', (socket) => {
      node.connections++;
      connectionBorn.set(socket, clock.now());
    });
    node.server.on('request', (req, res) => void handle(node, req, res));
    node.server.on('clientError', (_error, socket) => socket.destroy());
    return node;
  });

  function bump(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  function send(res: http.ServerResponse, status: number, body: unknown): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    const buffer = Buffer.from(text);
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': buffer.length,
      'x-amzn-requestid': randomUUID(),
    };
    const born = res.socket === null ? undefined : connectionBorn.get(res.socket);
    if (born !== undefined && clock.now() - born >= maxConnectionAgeMs) headers['connection'] = 'close';
    // DynamoDB sends a CRC32 of the body; Node >= 20.15 computes it natively.
    const crc32 = (zlib as unknown as { crc32?: (data: Buffer) => number }).crc32;
    if (crc32 !== undefined) headers['x-amz-crc32'] = String(crc32(buffer));
    res.writeHead(status, headers);
    res.end(buffer);
  }

  function sendError(res: http.ServerResponse, error: ApiError): void {
    send(res, error.status, { __type: error.type, message: error.message });
  }

  function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          resolve(undefined);
          req.removeAllListeners('data');
          req.resume();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', () => resolve(undefined));
      req.on('aborted', () => resolve(undefined));
    });
  }

  async function handle(node: Node, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    node.requests++;
    const group = headerValue(req.headers[groupHeader]) ?? '-';
    const requestId = headerValue(req.headers[requestHeader]);
    bump(attemptsByGroup, group);
    if (requestId !== undefined) {
      if (attemptsByRequest.size >= maxTracked && !attemptsByRequest.has(requestId)) {
        const oldest = attemptsByRequest.keys().next().value;
        if (oldest !== undefined) attemptsByRequest.delete(oldest);
      }
      bump(attemptsByRequest, requestId);
    }
    if (req.method === 'GET' && (req.url === '/' || req.url === '/ping')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('healthy: failsmall lab table service');
      return;
    }
    if (req.method !== 'POST') {
      sendError(
        res,
        apiError(400, 'com.amazon.coral.service#UnknownOperationException', `Unsupported method ${req.method ?? ''}`),
      );
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      sendError(
        res,
        apiError(400, `${errorPrefix}ValidationException`, `Request body larger than ${maxBodyBytes} bytes`),
      );
      return;
    }
    const target = headerValue(req.headers['x-amz-target']) ?? '';
    const operation = target.startsWith('DynamoDB_20120810.') ? target.slice('DynamoDB_20120810.'.length) : undefined;
    if (operation !== 'GetItem' && operation !== 'PutItem') {
      sendError(
        res,
        apiError(
          400,
          'com.amazon.coral.service#UnknownOperationException',
          `Unknown operation ${JSON.stringify(target)}`,
        ),
      );
      return;
    }
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      input = parsed as Record<string, unknown>;
    } catch {
      sendError(
        res,
        apiError(
          400,
          'com.amazon.coral.service#SerializationException',
          'Start of structure or map found where not expected',
        ),
      );
      return;
    }
    const invalid = validateInput(operation, input);
    if (invalid !== undefined) {
      sendError(res, invalid);
      return;
    }
    // The request holds a slot for its service time; it gives up if the client hangs up.
    const gone = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) gone.abort();
    };
    res.on('close', onClose);
    let served: boolean;
    try {
      served = await node.capacity.serve(gone.signal);
    } catch {
      res.off('close', onClose);
      if (!res.headersSent && !res.destroyed) sendError(res, overloadError('unavailable'));
      return;
    }
    res.off('close', onClose);
    if (!served) {
      bump(rejectedByGroup, group);
      sendError(res, overloadError(overload));
      return;
    }
    const result = execute(operation, input);
    if ('status' in result) sendError(res, result);
    else send(res, 200, result.body);
  }

  function validateInput(operation: 'GetItem' | 'PutItem', input: Record<string, unknown>): ApiError | undefined {
    const name = input['TableName'];
    if (typeof name !== 'string' || !/^[a-zA-Z0-9_.-]{3,255}$/.test(name)) {
      return apiError(
        400,
        `${errorPrefix}ValidationException`,
        `1 validation error detected: Value ${JSON.stringify(name ?? null)} at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
      );
    }
    const field = operation === 'GetItem' ? 'Key' : 'Item';
    if (!isAttributeMap(input[field])) {
      return apiError(
        400,
        `${errorPrefix}ValidationException`,
        `1 validation error detected: Value at '${field.toLowerCase()}' failed to satisfy constraint: Member must be a non-empty map of attribute values`,
      );
    }
    if (!tables.has(name)) {
      return apiError(400, `${errorPrefix}ResourceNotFoundException`, 'Requested resource not found');
    }
    return undefined;
  }

  function execute(operation: 'GetItem' | 'PutItem', input: Record<string, unknown>): { body: unknown } | ApiError {
    const table = tables.get(input['TableName'] as string)!;
    if (operation === 'GetItem') {
      const key = tableKey(table, input['Key'] as Record<string, AttributeValue>, true);
      if (typeof key !== 'string') return key;
      const item = table.items.get(key);
      return { body: item === undefined ? {} : { Item: item } };
    }
    const item = input['Item'] as Record<string, AttributeValue>;
    const key = tableKey(table, item, false);
    if (typeof key !== 'string') return key;
    table.items.set(key, item);
    return { body: {} };
  }

  // Bind: the first address picks the port, the others reuse it. A port taken on another address
  // (rare on 127.0.0.x) makes us start over with a fresh port, a bounded number of times.
  let port = 0;
  for (let round = 0; ; round++) {
    try {
      port = await listen(nodes[0]!.server, addresses[0]!, wantedPort);
      for (const node of nodes.slice(1)) await listen(node.server, node.address, port);
      break;
    } catch (error) {
      await Promise.all(nodes.map((n) => closeServer(n.server)));
      if (wantedPort !== 0 || round >= 4) {
        throw new FailsmallError(
          'FS_ERR_LAB_LISTEN',
          `The table service could not listen on ${addresses.join(', ')} port ${wantedPort || port}: ${String(error)}`,
          {
            cause: error,
            details: { addresses, port: wantedPort || port },
          },
        );
      }
    }
  }

  let closing: Promise<void> | undefined;
  return {
    port,
    addresses,
    endpoint(address = addresses[0]!) {
      return `http://${address}:${port}`;
    },
    takeAttempts(id) {
      const n = attemptsByRequest.get(id) ?? 0;
      attemptsByRequest.delete(id);
      return n;
    },
    seed(tableName, item) {
      const table = tables.get(tableName);
      if (table === undefined) validate.invalid('table', `one of ${[...tables.keys()].join(', ')}`, tableName);
      if (!isAttributeMap(item)) validate.invalid('item', 'a non-empty map of attribute values', item);
      const key = tableKey(table, item, false);
      if (typeof key !== 'string') validate.invalid('item', `an item with the key ${table.keyNames.join(', ')}`, item);
      table.items.set(key, item);
    },
    snapshot() {
      let items = 0;
      for (const t of tables.values()) items += t.items.size;
      return {
        port,
        nodes: nodes.map((n) => ({
          address: n.address,
          requests: n.requests,
          connections: n.connections,
          ...n.capacity.snapshot(),
        })),
        attemptsByGroup: Object.fromEntries(attemptsByGroup),
        rejectedByGroup: Object.fromEntries(rejectedByGroup),
        items,
      };
    },
    close() {
      closing ??= (async () => {
        for (const n of nodes) n.capacity.close();
        await Promise.all(nodes.map((n) => closeServer(n.server)));
      })();
      return closing;
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function listen(server: http.Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
