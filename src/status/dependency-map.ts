/**
 * The dependency map: the graph service → dependency built from the clients' own traffic (the
 * edges the reporters posted), merged with the catalog (Backstage `dependsOn`, `system`), and the
 * MTTR of each dependency from its failure intervals: breaker open → closed (the reporter's clock)
 * and incident opened → resolved (the service's clock, for incidents published from a suggestion
 * about the dependency). Pure functions of their input; `now` comes from the service's clock.
 */
import { nearestRank } from '../core/quantile.js';
import type {
  BreakerState,
  Catalog,
  Component,
  ComponentStatus,
  DependencyEdge,
  FailureInterval,
  Incident,
  Suggestion,
} from './model.js';
import { latencyBoundsMs } from './model.js';
import { entitiesByName } from './report-store.js';

/** Time to recover of one dependency, over its closed failure intervals. */
export interface MttrStats {
  readonly dependency: string;
  /** Closed intervals (recovered failures). */
  readonly failures: number;
  /** Intervals still open. */
  readonly ongoing: number;
  /** Closed intervals by source. */
  readonly bySource: { readonly breaker: number; readonly incident: number };
  /** Nearest-rank percentiles and the maximum of the time to recover, in milliseconds; null without a closed interval. */
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  readonly maxMs: number | null;
  readonly meanMs: number | null;
}

/** A failure interval of any source. */
export interface Interval {
  readonly dependency: string;
  readonly source: 'breaker' | 'incident';
  readonly startedAt: number;
  readonly endedAt: number | null;
}

/**
 * MTTR per dependency, sorted by dependency name.
 *
 * @example
 * mttr([{ dependency: 'db', source: 'breaker', startedAt: 0, endedAt: 30_000 }]);
 * // [{ dependency: 'db', failures: 1, ongoing: 0, p50Ms: 30000, p90Ms: 30000, maxMs: 30000, … }]
 */
export function mttr(intervals: readonly Interval[]): MttrStats[] {
  const by = new Map<string, Interval[]>();
  for (const i of intervals) by.set(i.dependency, [...(by.get(i.dependency) ?? []), i]);
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([dependency, list]) => {
      const closed = list.filter((i) => i.endedAt !== null);
      const durations = closed.map((i) => Math.max(0, i.endedAt! - i.startedAt)).sort((a, b) => a - b);
      return {
        dependency,
        failures: closed.length,
        ongoing: list.length - closed.length,
        bySource: {
          breaker: closed.filter((i) => i.source === 'breaker').length,
          incident: closed.filter((i) => i.source === 'incident').length,
        },
        p50Ms: nearestRank(durations, 0.5) ?? null,
        p90Ms: nearestRank(durations, 0.9) ?? null,
        maxMs: durations.at(-1) ?? null,
        meanMs: durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0) / durations.length,
      };
    });
}

/**
 * The failure intervals of incidents published from suggestions: the suggestion's subject, from
 * the incident's opening to its resolution.
 */
export function incidentIntervals(suggestions: readonly Suggestion[], incidents: readonly Incident[]): Interval[] {
  const byId = new Map(incidents.map((i) => [i.id, i]));
  const out: Interval[] = [];
  for (const s of suggestions) {
    if (s.status !== 'published' || s.incidentId === null) continue;
    const incident = byId.get(s.incidentId);
    if (incident === undefined) continue;
    out.push({
      dependency: s.subject,
      source: 'incident',
      startedAt: incident.createdAt,
      endedAt: incident.resolvedAt,
    });
  }
  return out;
}

/**
 * The latency at which a share `q` of the bucketed calls were done: the bucket's upper bound, or
 * the maximum seen for the last (unbounded) bucket; null without calls.
 */
export function bucketQuantile(buckets: readonly number[], q: number, maxMs: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [i, n] of buckets.entries()) {
    seen += n;
    if (seen >= rank) return i < latencyBoundsMs.length ? Math.min(latencyBoundsMs[i]!, maxMs) : maxMs;
  }
  return maxMs;
}

/** A box of the map. */
export interface MapNode {
  readonly id: string;
  /** The catalog kind, or `service` / `dependency` for a name seen only in traffic. */
  readonly kind: 'Component' | 'Resource' | 'service' | 'dependency';
  readonly title: string;
  /** The business process (catalog `spec.system`, its title when the System has one). */
  readonly system: string | null;
  /** The status component it shows as, and that component's status. */
  readonly component: string | null;
  readonly status: ComponentStatus | null;
}

/** An arrow of the map: `from` calls (or declares it depends on) `to`. */
export interface MapEdge {
  readonly from: string;
  readonly to: string;
  /** In the catalog's `dependsOn`. */
  readonly declared: boolean;
  /** Seen in reported traffic. */
  readonly observed: boolean;
  readonly region: string | null;
  readonly calls: number;
  readonly errors: number;
  readonly rejected: number;
  /** (errors + rejected) / calls; null without calls. */
  readonly errorRate: number | null;
  /** The same over the latest report only. */
  readonly recentErrorRate: number | null;
  readonly latencyP50Ms: number | null;
  readonly latencyP90Ms: number | null;
  readonly latencyMaxMs: number | null;
  readonly breaker: BreakerState | null;
  readonly guard: 'engaged' | 'released' | null;
  /** `ok`, `degraded` (errors, a half-open breaker, an engaged guard), `failing` (an open breaker, ≥ 25 % errors lately) or `unknown` (declared, no traffic). */
  readonly health: 'ok' | 'degraded' | 'failing' | 'unknown';
  readonly lastAt: number | null;
}

/** A business process and what belongs to it. */
export interface MapSystem {
  readonly name: string;
  readonly title: string;
  readonly description: string | null;
  readonly members: readonly string[];
}

/** The whole map, as `/api/dependencies.json` serves it. */
export interface DependencyMap {
  readonly generatedAt: number;
  readonly nodes: readonly MapNode[];
  readonly edges: readonly MapEdge[];
  readonly systems: readonly MapSystem[];
  readonly mttr: readonly MttrStats[];
}

/** What {@link buildDependencyMap} reads. */
export interface DependencyMapInput {
  readonly edges: readonly DependencyEdge[];
  readonly catalogs: readonly Catalog[];
  readonly failures: readonly FailureInterval[];
  readonly suggestions: readonly Suggestion[];
  readonly incidents: readonly Incident[];
  readonly components: readonly Component[];
  readonly now: number;
}

const rate = (bad: number, calls: number): number | null => (calls === 0 ? null : bad / calls);

function healthOf(e: DependencyEdge | undefined): MapEdge['health'] {
  if (e === undefined) return 'unknown';
  const recent = rate(e.recent.errors + e.recent.rejected, e.recent.calls);
  if (e.breaker === 'open' || e.breaker === 'isolated' || (recent !== null && recent >= 0.25)) return 'failing';
  const all = rate(e.errors + e.rejected, e.calls);
  if (e.breaker === 'half-open' || e.guard === 'engaged' || (recent ?? all ?? 0) > 0) return 'degraded';
  return 'ok';
}

/**
 * Builds the map.
 *
 * @example
 * const map = buildDependencyMap({ edges, catalogs, failures, suggestions, incidents, components, now: Date.now() });
 */
export function buildDependencyMap(input: DependencyMapInput): DependencyMap {
  const catalog = entitiesByName(input.catalogs);
  const components = new Map(input.components.map((c) => [c.id, c]));
  const systemsByName = new Map(
    [...catalog.values()].filter((e) => e.kind === 'System').map((e) => [e.name, e] as const),
  );
  const nodes = new Map<string, MapNode>();
  const node = (id: string, role: 'service' | 'dependency'): void => {
    const existing = nodes.get(id);
    if (existing !== undefined) {
      if (existing.kind === 'dependency' && role === 'service') nodes.set(id, { ...existing, kind: 'service' });
      return;
    }
    const entity = catalog.get(id);
    const componentId = entity?.statusComponent ?? (components.has(id) ? id : null);
    const component = componentId === null ? undefined : components.get(componentId);
    const system = entity?.system ?? null;
    nodes.set(id, {
      id,
      kind: entity === undefined || entity.kind === 'System' ? role : entity.kind,
      title: entity?.title ?? id,
      system: system === null ? null : (systemsByName.get(system)?.title ?? system),
      component: component?.id ?? null,
      status: component?.status ?? null,
    });
  };
  for (const e of catalog.values()) if (e.kind !== 'System') node(e.name, 'service');
  const observed = new Map<string, DependencyEdge>();
  for (const e of input.edges) {
    const key = `${e.service}>${e.dependency}`;
    const prior = observed.get(key);
    observed.set(key, prior === undefined || prior.lastAt < e.lastAt ? e : prior);
    node(e.service, 'service');
    node(e.dependency, 'dependency');
  }
  const declared = new Set<string>();
  for (const e of catalog.values()) {
    if (e.kind === 'System') continue;
    for (const d of e.dependsOn) {
      if (systemsByName.has(d)) continue;
      node(d, 'dependency');
      declared.add(`${e.name}>${d}`);
    }
  }
  const edges: MapEdge[] = [...new Set([...observed.keys(), ...declared])].sort().map((key) => {
    const [from, to] = key.split('>') as [string, string];
    const e = observed.get(key);
    return {
      from,
      to,
      declared: declared.has(key),
      observed: e !== undefined,
      region: e?.region ?? null,
      calls: e?.calls ?? 0,
      errors: e?.errors ?? 0,
      rejected: e?.rejected ?? 0,
      errorRate: e === undefined ? null : rate(e.errors + e.rejected, e.calls),
      recentErrorRate: e === undefined ? null : rate(e.recent.errors + e.recent.rejected, e.recent.calls),
      latencyP50Ms: e === undefined ? null : bucketQuantile(e.latencyBuckets, 0.5, e.latencyMsMax),
      latencyP90Ms: e === undefined ? null : bucketQuantile(e.latencyBuckets, 0.9, e.latencyMsMax),
      latencyMaxMs: e === undefined || e.calls === 0 ? null : e.latencyMsMax,
      breaker: e?.breaker ?? null,
      guard: e?.guard ?? null,
      health: healthOf(e),
      lastAt: e?.lastAt ?? null,
    };
  });
  const systems: MapSystem[] = [...systemsByName.values()].map((s) => ({
    name: s.name,
    title: s.title ?? s.name,
    description: s.description,
    members: [...catalog.values()].filter((e) => e.system === s.name).map((e) => e.name),
  }));
  const intervals: Interval[] = [
    ...input.failures.map((f) => ({
      dependency: f.dependency,
      source: f.source,
      startedAt: f.startedAt,
      endedAt: f.endedAt,
    })),
    ...incidentIntervals(input.suggestions, input.incidents),
  ];
  return {
    generatedAt: input.now,
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
    edges,
    systems,
    mttr: mttr(intervals),
  };
}
