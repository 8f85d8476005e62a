/**
 * Test support for failsmall/otel: an OpenTelemetry SDK `MeterProvider` whose reader exports into an
 * `InMemoryMetricExporter` on demand (no export timer fires: the interval is an hour and `collect()`
 * flushes), with the exported data flattened to one row per data point for exact assertions.
 */
import assert from 'node:assert/strict';
import type { MeterProvider } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider as SdkMeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';

/** One data point: a counter's sum, a gauge's value, or a histogram's count, sum and bucket counts. */
export interface PointRow {
  readonly name: string;
  readonly unit: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly value: number;
  /** Histograms only. */
  readonly histogram?: { readonly count: number; readonly sum: number; readonly boundaries: readonly number[] };
}

/** A provider and a way to read what it holds. */
export interface MemoryMetrics {
  readonly meterProvider: MeterProvider;
  /** Exports now and returns every data point of the last export. */
  collect(): Promise<PointRow[]>;
  shutdown(): Promise<void>;
}

/** A meter provider with an in-memory exporter (cumulative temporality). */
export function memoryMetrics(): MemoryMetrics {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new SdkMeterProvider({ readers: [reader] });
  return {
    meterProvider: provider,
    async collect(): Promise<PointRow[]> {
      exporter.reset();
      await reader.forceFlush();
      const rows: PointRow[] = [];
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) {
            for (const point of metric.dataPoints as DataPoint<number | Histogram>[]) {
              const v = point.value;
              if (typeof v === 'number') {
                rows.push({
                  name: metric.descriptor.name,
                  unit: metric.descriptor.unit,
                  attributes: point.attributes,
                  value: v,
                });
              } else {
                rows.push({
                  name: metric.descriptor.name,
                  unit: metric.descriptor.unit,
                  attributes: point.attributes,
                  value: v.count,
                  histogram: { count: v.count, sum: v.sum ?? 0, boundaries: v.buckets.boundaries },
                });
              }
            }
          }
        }
      }
      return rows;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The value of the one row of `name` whose attributes include `match`; undefined when none. */
export function valueOf(
  rows: readonly PointRow[],
  name: string,
  match: Record<string, unknown> = {},
): number | undefined {
  const found = rows.filter((r) => r.name === name && Object.entries(match).every(([k, v]) => r.attributes[k] === v));
  if (found.length === 0) return undefined;
  return found.reduce((sum, r) => sum + r.value, 0);
}

/** One expected figure: the instrument's name, attributes a row must include, and its value. */
export type Figure = readonly [name: string, match: Record<string, unknown>, value: number];

/** Asserts {@link valueOf} of each figure in `rows`, naming the instrument and attributes when one differs. */
export function assertFigures(rows: readonly PointRow[], figures: readonly Figure[]): void {
  for (const [name, match, value] of figures) {
    assert.equal(valueOf(rows, name, match), value, `${name} ${JSON.stringify(match)}`);
  }
}
