/**
 * A Prometheus scrape endpoint for those without an OpenTelemetry collector: the OpenTelemetry
 * SDK's `MeterProvider` with the official `PrometheusExporter` as its reader (both optional peers,
 * `@opentelemetry/sdk-metrics` and `@opentelemetry/exporter-prometheus`, loaded on first use),
 * served by a plain `node:http` server that this module owns, so that port 0 works and the bound
 * port is known. Loopback (127.0.0.1) by default: metrics name dependencies and hosts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MeterProvider } from '@opentelemetry/api';
import { FailsmallError } from '../core/errors.js';
import { importPeer } from '../core/optional-peer.js';
import { listening } from '../core/listening.js';

/** Options of {@link startPrometheusEndpoint}. */
export interface PrometheusOptions {
  /** Default 9464, the port registered for the OpenTelemetry Prometheus exporter; 0 for an ephemeral one. */
  readonly port?: number;
  /** Default `127.0.0.1`: only this machine scrapes. Give `0.0.0.0` to serve others. */
  readonly host?: string;
  /** The path served, default `/metrics`. */
  readonly endpoint?: string;
}

/** A running endpoint. */
export interface PrometheusEndpoint {
  /** `http://host:port/metrics`. */
  readonly url: string;
  readonly port: number;
  /** The provider whose instruments the endpoint serves: hand it to `enableMetrics({ meterProvider })`. */
  readonly meterProvider: MeterProvider;
  /** Stops listening and shuts the provider down. */
  close(): Promise<void>;
}

interface SdkMetrics {
  MeterProvider: new (options: { readers: unknown[] }) => MeterProvider & { shutdown(): Promise<void> };
}
interface ExporterPrometheus {
  PrometheusExporter: new (config: { preventServerStart: boolean; endpoint: string }) => {
    getMetricsRequestHandler(request: http.IncomingMessage, response: http.ServerResponse): void;
  };
}

const DEFAULT_PORT = 9464; // the OpenTelemetry Prometheus exporter's registered default.

function invalid(option: string, expected: string, got: unknown): never {
  throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', `Expected \`${option}\` to be ${expected}, got ${String(got)}`, {
    details: { option },
  });
}

/**
 * Starts serving every instrument of the returned `meterProvider` in the Prometheus text format.
 *
 * @throws `FS_ERR_MISSING_PEER` without `@opentelemetry/sdk-metrics` or
 * `@opentelemetry/exporter-prometheus`; `FS_ERR_OTEL_LISTEN` when it cannot listen;
 * `FS_ERR_INVALID_ARGUMENT` for a bad option.
 * @example
 * import { enableMetrics, startPrometheusEndpoint } from 'failsmall/otel';
 * const endpoint = await startPrometheusEndpoint({ port: 9464 });
 * const metrics = await enableMetrics({ meterProvider: endpoint.meterProvider });
 */
export async function startPrometheusEndpoint(options: PrometheusOptions = {}): Promise<PrometheusEndpoint> {
  if (typeof options !== 'object' || options === null) invalid('prometheus', 'an object', options);
  for (const key of Object.keys(options)) {
    if (key !== 'port' && key !== 'host' && key !== 'endpoint')
      throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', `Unknown option \`${key}\``, { details: { option: key } });
  }
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) invalid('port', 'an integer from 0 to 65535', port);
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') invalid('host', 'a non-empty string', host);
  const endpoint = options.endpoint ?? '/metrics';
  if (typeof endpoint !== 'string' || !endpoint.startsWith('/'))
    invalid('endpoint', 'a path starting with /', endpoint);

  const feature = 'the Prometheus endpoint of failsmall/otel';
  const [sdk, prom] = await Promise.all([
    importPeer<SdkMetrics>('@opentelemetry/sdk-metrics', feature),
    importPeer<ExporterPrometheus>('@opentelemetry/exporter-prometheus', feature),
  ]);
  const exporter = new prom.PrometheusExporter({ preventServerStart: true, endpoint });
  const meterProvider = new sdk.MeterProvider({ readers: [exporter] });
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === endpoint) {
      exporter.getMetricsRequestHandler(request, response);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`Metrics are at ${endpoint}\n`);
  });
  try {
    await listening(server, (done) => server.listen(port, host, done));
  } catch (error) {
    await meterProvider.shutdown().catch(() => undefined);
    throw new FailsmallError(
      'FS_ERR_OTEL_LISTEN',
      `The Prometheus endpoint cannot listen on ${host}:${port}: ${(error as Error).message}`,
      { cause: error, details: { host, port } },
    );
  }
  const bound = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${bound}${endpoint}`,
    port: bound,
    meterProvider,
    close(): Promise<void> {
      closing ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await meterProvider.shutdown();
      })();
      return closing;
    },
  };
}
