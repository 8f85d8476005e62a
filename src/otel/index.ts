/**
 * `failsmall/otel`: OpenTelemetry metrics for every failsmall module, from the diagnostics channels
 * and the snapshots, and a Prometheus endpoint for those without a collector. Needs
 * `@opentelemetry/api` (and, for the endpoint, `@opentelemetry/sdk-metrics` and
 * `@opentelemetry/exporter-prometheus`): optional peers, loaded only here.
 */
export { enableMetrics } from './metrics.js';
export type { MetricsHandle, MetricsOptions, ObserveOptions, ObservedTarget } from './metrics.js';
export { startPrometheusEndpoint } from './prometheus.js';
export type { PrometheusEndpoint, PrometheusOptions } from './prometheus.js';
export { INSTRUMENTS } from './instruments.js';
export type { InstrumentName, InstrumentSpec, InstrumentType } from './instruments.js';
