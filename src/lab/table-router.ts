/**
 * The table service's request router: one HTTP request of the DynamoDB JSON 1.0 protocol, from the
 * attempt counters (per client group and per logical request) through the method, body, operation and
 * input checks and the node's capacity gate to the {@link TableStore}, and back as a JSON answer.
 */
import type http from 'node:http';
import type { Capacity } from './capacity.js';
import {
  apiError,
  overloadError,
  sendJson,
  validationError,
  type ApiError,
  type OverloadAnswer,
} from './dynamo-json.js';
import type { TableStore } from './table-store.js';

/** The header a lab client sets to name its group; attempts are counted per group. */
export const groupHeader = 'x-failsmall-group';
/** The header a lab client sets to name its logical request; attempts are counted per request. */
export const requestHeader = 'x-failsmall-request';
/** Largest request body accepted, in bytes (DynamoDB's own limit is 16 MB per request, 400 KB per item). */
const maxBodyBytes = 1_048_576;

/** One node (address) as the router sees it: its capacity and its request counter. */
export interface TableNode {
  readonly address: string;
  readonly capacity: Capacity;
  requests: number;
}

/** Options of {@link TableRouter}. */
export interface TableRouterOptions {
  readonly store: TableStore;
  /** The answer beyond a node's queue. */
  readonly overload: OverloadAnswer;
  /** Most logical requests whose attempts are remembered at once (older ones are forgotten). */
  readonly maxTrackedRequests: number;
  /** Whether the response should close its connection (the connection is past its age). */
  readonly closeConnection: (res: http.ServerResponse) => boolean;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Routes the requests of every node to one store, counting attempts (see the file comment). */
export class TableRouter {
  /** HTTP attempts that reached the service, per client group (`-` without a group). */
  readonly attemptsByGroup = new Map<string, number>();
  /** Requests answered with an overload error, per client group. */
  readonly rejectedByGroup = new Map<string, number>();
  readonly #attemptsByRequest = new Map<string, number>();
  readonly #options: TableRouterOptions;

  constructor(options: TableRouterOptions) {
    this.#options = options;
  }

  /** Attempts that reached the service for the logical request `id`, and forgets them. 0 if none. */
  takeAttempts(id: string): number {
    const n = this.#attemptsByRequest.get(id) ?? 0;
    this.#attemptsByRequest.delete(id);
    return n;
  }

  #send(res: http.ServerResponse, status: number, body: unknown): void {
    sendJson(res, status, body, this.#options.closeConnection(res));
  }

  #sendError(res: http.ServerResponse, error: ApiError): void {
    this.#send(res, error.status, { __type: error.type, message: error.message });
  }

  #count(req: http.IncomingMessage): string {
    const group = headerValue(req.headers[groupHeader]) ?? '-';
    const requestId = headerValue(req.headers[requestHeader]);
    bump(this.attemptsByGroup, group);
    if (requestId !== undefined) {
      const byRequest = this.#attemptsByRequest;
      if (byRequest.size >= this.#options.maxTrackedRequests && !byRequest.has(requestId)) {
        const oldest = byRequest.keys().next().value;
        if (oldest !== undefined) byRequest.delete(oldest);
      }
      bump(byRequest, requestId);
    }
    return group;
  }

  /** Reads and checks the request up to a valid operation and input, or answers its error and returns undefined. */
  async #parse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<{ operation: 'GetItem' | 'PutItem'; input: Record<string, unknown> } | undefined> {
    if (req.method !== 'POST') {
      const message = `Unsupported method ${req.method ?? ''}`;
      this.#sendError(res, apiError(400, 'com.amazon.coral.service#UnknownOperationException', message));
      return undefined;
    }
    const body = await readBody(req);
    if (body === undefined) {
      this.#sendError(res, validationError(`Request body larger than ${maxBodyBytes} bytes`));
      return undefined;
    }
    const target = headerValue(req.headers['x-amz-target']) ?? '';
    const operation = target.startsWith('DynamoDB_20120810.') ? target.slice('DynamoDB_20120810.'.length) : undefined;
    if (operation !== 'GetItem' && operation !== 'PutItem') {
      const message = `Unknown operation ${JSON.stringify(target)}`;
      this.#sendError(res, apiError(400, 'com.amazon.coral.service#UnknownOperationException', message));
      return undefined;
    }
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      input = parsed as Record<string, unknown>;
    } catch {
      const message = 'Start of structure or map found where not expected';
      this.#sendError(res, apiError(400, 'com.amazon.coral.service#SerializationException', message));
      return undefined;
    }
    const invalid = this.#options.store.check(operation, input);
    if (invalid !== undefined) {
      this.#sendError(res, invalid);
      return undefined;
    }
    return { operation, input };
  }

  /** Handles one request that reached `node`. Never throws: every failure is an answer. */
  async handle(node: TableNode, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    node.requests++;
    const group = this.#count(req);
    if (req.method === 'GET' && (req.url === '/' || req.url === '/ping')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('healthy: failsmall lab table service');
      return;
    }
    const request = await this.#parse(req, res);
    if (request === undefined) return;
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
      if (!res.headersSent && !res.destroyed) this.#sendError(res, overloadError('unavailable'));
      return;
    }
    res.off('close', onClose);
    if (!served) {
      bump(this.rejectedByGroup, group);
      this.#sendError(res, overloadError(this.#options.overload));
      return;
    }
    const result = this.#options.store.execute(request.operation, request.input);
    if ('status' in result) this.#sendError(res, result);
    else this.#send(res, 200, result.body);
  }
}
