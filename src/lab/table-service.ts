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
 * Three parts: the items ({@link TableStore}, table-store.ts), the request router
 * ({@link TableRouter}, table-router.ts, over the wire format of dynamo-json.ts), and here the nodes'
 * lifecycle: options, one HTTP server and one {@link Capacity} per address, binding every address on
 * one port, connection ages, and closing.
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/Welcome.html
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FailsmallError, systemClock, validate } from '../core/index.js';
import type { Clock } from '../core/index.js';
import { Capacity } from './capacity.js';
import type { CapacitySnapshot } from './capacity.js';
import type { AttributeValue, OverloadAnswer } from './dynamo-json.js';
import { TableRouter, type TableNode } from './table-router.js';
import { TableStore } from './table-store.js';

export { groupHeader, requestHeader } from './table-router.js';
export { TableStore } from './table-store.js';
export type { AttributeValue, OverloadAnswer } from './dynamo-json.js';

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
  /**
   * The items to serve, kept by the caller so that a service stopped and started again (a region
   * that comes back) still has them; default a new store with `tables`. `tables` is ignored when given.
   */
  readonly store?: TableStore;
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
  const store = options.store ?? new TableStore(options.tables ?? { orders: ['id'] });
  const router = new TableRouter({
    store,
    overload,
    maxTrackedRequests: maxTracked,
    closeConnection: (res) => {
      const born = res.socket === null ? undefined : connectionBorn.get(res.socket);
      return born !== undefined && clock.now() - born >= maxConnectionAgeMs;
    },
  });

  interface Node extends TableNode {
    readonly server: http.Server;
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
    node.server.on('request', (req, res) => void router.handle(node, req, res));
    node.server.on('clientError', (_error, socket) => socket.destroy());
    return node;
  });

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
      return router.takeAttempts(id);
    },
    seed(tableName, item) {
      store.seed(tableName, item);
    },
    snapshot() {
      return {
        port,
        nodes: nodes.map((n) => ({
          address: n.address,
          requests: n.requests,
          connections: n.connections,
          ...n.capacity.snapshot(),
        })),
        attemptsByGroup: Object.fromEntries(router.attemptsByGroup),
        rejectedByGroup: Object.fromEntries(router.rejectedByGroup),
        items: store.size,
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
