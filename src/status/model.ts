/**
 * What a status page holds: components grouped by business process, incidents with their timestamped
 * updates, scheduled maintenance and webhook subscribers. Status values are the ones Statuspage
 * documents, so the public JSON carries them unchanged. Times are milliseconds of the service's
 * {@link Clock} (epoch milliseconds with the system clock).
 */

/** A component's state, worst last (`under_maintenance` sits apart: planned, not a failure). */
export const componentStatuses = [
  'operational',
  'under_maintenance',
  'degraded_performance',
  'partial_outage',
  'major_outage',
] as const;
/** One of {@link componentStatuses}. */
export type ComponentStatus = (typeof componentStatuses)[number];

/** An incident's lifecycle, in order. `resolved` is final. */
export const incidentStatuses = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
/** One of {@link incidentStatuses}. */
export type IncidentStatus = (typeof incidentStatuses)[number];

/** An incident's impact, least first. */
export const incidentImpacts = ['none', 'minor', 'major', 'critical'] as const;
/** One of {@link incidentImpacts}. */
export type IncidentImpact = (typeof incidentImpacts)[number];

/** A scheduled maintenance's lifecycle, in order. `completed` is final. */
export const maintenanceStatuses = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
/** One of {@link maintenanceStatuses}. */
export type MaintenanceStatus = (typeof maintenanceStatuses)[number];

/** A part of the service that customers see, in a business process (shown as a group). */
export interface Component {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  /** The business process it belongs to (`Checkout`, `Sign-in`); components are grouped by it. */
  readonly group: string;
  /** Order on the page, lowest first. */
  readonly position: number;
  readonly status: ComponentStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One change of a component's status, kept for the uptime bars. */
export interface ComponentEvent {
  readonly componentId: string;
  readonly at: number;
  readonly status: ComponentStatus;
}

/** A component an update changed, with its status before and after. */
export interface AffectedComponent {
  readonly componentId: string;
  readonly oldStatus: ComponentStatus;
  readonly newStatus: ComponentStatus;
}

/** One timestamped update of an incident, as published. */
export interface IncidentUpdate {
  readonly id: string;
  readonly status: IncidentStatus;
  /** What is known, in plain text. */
  readonly body: string;
  /** What customers can do meanwhile (a workaround, where to look), or null. */
  readonly whatYouCanDo: string | null;
  readonly at: number;
  readonly affected: readonly AffectedComponent[];
}

/** An incident: its current status and impact, and its updates, oldest first. */
export interface Incident {
  readonly id: string;
  readonly name: string;
  readonly status: IncidentStatus;
  readonly impact: IncidentImpact;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly monitoringAt: number | null;
  readonly resolvedAt: number | null;
  /** Every component the incident has affected. */
  readonly componentIds: readonly string[];
  readonly updates: readonly IncidentUpdate[];
}

/** Planned work on some components. */
export interface Maintenance {
  readonly id: string;
  readonly name: string;
  readonly body: string;
  readonly status: MaintenanceStatus;
  readonly scheduledFor: number;
  readonly scheduledUntil: number;
  readonly componentIds: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A webhook that receives every incident and component change (Statuspage's webhook payloads). */
export interface Subscriber {
  readonly id: string;
  /** An `http:` or `https:` URL. */
  readonly url: string;
  readonly createdAt: number;
}

/** A component's new status, as given in an incident or an update. */
export interface ComponentChange {
  readonly id: string;
  readonly status: ComponentStatus;
}

/** What opening an incident takes. */
export interface IncidentInput {
  readonly name: string;
  /** Default `investigating`. */
  readonly status?: Exclude<IncidentStatus, 'resolved'>;
  /** Default `minor`. */
  readonly impact?: IncidentImpact;
  /** The first update's text. */
  readonly body: string;
  readonly whatYouCanDo?: string | null;
  /** Components it affects, with their new status; default none. */
  readonly components?: readonly ComponentChange[];
}

/** What an update of an incident takes. */
export interface IncidentUpdateInput {
  readonly status: IncidentStatus;
  readonly body: string;
  readonly whatYouCanDo?: string | null;
  /** Component changes; on `resolved` every affected component not named here returns to operational. */
  readonly components?: readonly ComponentChange[];
  /** A new impact, when it changed. */
  readonly impact?: IncidentImpact;
}

/** What adding or changing a component takes. */
export interface ComponentInput {
  /** Letters, digits, `-` and `_`, at most 64; default a random id. */
  readonly id?: string;
  readonly name: string;
  readonly description?: string | null;
  readonly group: string;
  /** Default after the last one. */
  readonly position?: number;
}

/** What scheduling maintenance takes. */
export interface MaintenanceInput {
  readonly name: string;
  readonly body: string;
  readonly scheduledFor: number;
  readonly scheduledUntil: number;
  readonly components?: readonly string[];
}

// ---- signals, suggestions and the dependency map ----

/** The kinds of suggested incident: what the automatic signals say. */
export const suggestionKinds = ['breaker-open', 'dns-guard', 'health-escalation'] as const;
/** A service, dependency, host or health set name in a report: letters, digits and `. _ : @ / -`, 1 to 128. */
export const namePattern = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;

/** One of {@link suggestionKinds}. */
export type SuggestionKind = (typeof suggestionKinds)[number];

/** A breaker's states, as the breaker names them. */
export const breakerStates = ['closed', 'open', 'half-open', 'isolated'] as const;
/** One of {@link breakerStates}. */
export type BreakerState = (typeof breakerStates)[number];

/**
 * Upper bounds of the latency buckets a report carries, in milliseconds; a last bucket counts
 * everything above the last bound. The reporter and the service share them.
 */
export const latencyBoundsMs = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000] as const;

/** A breaker changed state (`failsmall:policy:breaker`). */
export interface BreakerSignal {
  readonly kind: 'breaker';
  readonly dependency: string;
  readonly from?: BreakerState;
  readonly to: BreakerState;
  readonly reason?: string;
  /** When, in milliseconds of the reporter's clock (the breaker's). */
  readonly at: number;
  /** Status components it affects; default those the catalog ties to the dependency. */
  readonly components?: readonly string[];
}

/** The resolver's last-known-good guard engaged or let go (`failsmall:dns:guard`). */
export interface DnsGuardSignal {
  readonly kind: 'dns-guard';
  readonly hostname: string;
  /** The dependency that connects to `hostname`, when the reporter knows it. */
  readonly dependency?: string;
  readonly event: 'engaged' | 'released';
  readonly reason?: string;
  readonly at: number;
  readonly components?: readonly string[];
}

/** A health monitor escalated to a human (`failsmall:health:monitor`, `escalation`). */
export interface HealthSignal {
  readonly kind: 'health-escalation';
  /** The monitored set, e.g. `dynamodb-nlb`. */
  readonly set: string;
  readonly reason: string;
  readonly targets: readonly string[];
  readonly at: number;
  readonly components?: readonly string[];
}

/** One automatic signal. */
export type Signal = BreakerSignal | DnsGuardSignal | HealthSignal;

/** Counts of calls: what a report carries per dependency and an edge accumulates. */
export interface CallCounts {
  readonly calls: number;
  /** Calls that failed (an error, or a failure result such as an HTTP 5xx). */
  readonly errors: number;
  /** Calls turned away on the client, never sent (an open breaker). */
  readonly rejected: number;
  /** Sum of the calls' latencies, in milliseconds. */
  readonly latencyMsSum: number;
  readonly latencyMsMax: number;
  /** Counts per bucket of {@link latencyBoundsMs}, one more for above the last bound. */
  readonly latencyBuckets: readonly number[];
}

/** No calls yet. */
export function noCalls(): { -readonly [K in keyof CallCounts]: CallCounts[K] } & { latencyBuckets: number[] } {
  return {
    calls: 0,
    errors: 0,
    rejected: 0,
    latencyMsSum: 0,
    latencyMsMax: 0,
    latencyBuckets: new Array<number>(latencyBoundsMs.length + 1).fill(0),
  };
}

/** Calls from the reporting service to one dependency during one interval. */
export interface CallStats extends CallCounts {
  readonly dependency: string;
}

/** What a reporter posts (`POST /api/admin/reports`). */
export interface ReportInput {
  /** The reporting service (the graph's `from`). */
  readonly service: string;
  readonly region?: string;
  readonly signals?: readonly Signal[];
  readonly calls?: readonly CallStats[];
}

/** A suggested incident: the words a responder publishes (or dismisses). */
export interface Suggestion {
  readonly id: string;
  /** Signals with the same key fold into one suggestion while it is open. */
  readonly key: string;
  readonly kind: SuggestionKind;
  readonly service: string;
  readonly region: string | null;
  /** The dependency, host name or health set the signals are about. */
  readonly subject: string;
  readonly componentIds: readonly string[];
  readonly status: 'suggested' | 'published' | 'dismissed';
  /** The proposed incident. */
  readonly name: string;
  readonly body: string;
  readonly impact: IncidentImpact;
  /** The status proposed for the affected components. */
  readonly componentStatus: ComponentStatus;
  /** Signals folded in. */
  readonly count: number;
  /** The latest reasons given, newest last (at most 5). */
  readonly reasons: readonly string[];
  /** Service clock: when the first and the latest signal arrived. */
  readonly firstAt: number;
  readonly lastAt: number;
  /** When the condition cleared (breaker closed, guard released), or null. */
  readonly clearedAt: number | null;
  readonly incidentId: string | null;
  readonly decidedAt: number | null;
  /** `responder`, or `rule` when a configured rule published it. */
  readonly decidedBy: 'responder' | 'rule' | null;
}

/** What a responder may change when publishing a suggestion; the rest comes from the suggestion. */
export interface PublishInput {
  readonly name?: string;
  readonly body?: string;
  readonly impact?: IncidentImpact;
  readonly whatYouCanDo?: string | null;
  /** The components and their status; default (also when empty) the suggestion's, with its proposed status. */
  readonly components?: readonly ComponentChange[];
}

/** Traffic of one service to one dependency, accumulated from reports. */
export interface DependencyEdge extends CallCounts {
  readonly service: string;
  readonly dependency: string;
  readonly region: string | null;
  /** The latest report's counts. */
  readonly recent: { readonly calls: number; readonly errors: number; readonly rejected: number; readonly at: number };
  readonly firstAt: number;
  readonly lastAt: number;
  /** The dependency's breaker in this service, when reported. */
  readonly breaker: BreakerState | null;
  /** The resolver's guard on the dependency's name, when reported. */
  readonly guard: 'engaged' | 'released' | null;
}

/** A time a dependency was failing: a breaker open → closed (reporter's clock). */
export interface FailureInterval {
  readonly id: string;
  readonly service: string;
  readonly dependency: string;
  readonly source: 'breaker' | 'incident';
  readonly startedAt: number;
  readonly endedAt: number | null;
}

/** The catalog kinds read from `catalog-info.yaml` (Backstage's). */
export const catalogKinds = ['Component', 'Resource', 'System'] as const;
/** One of {@link catalogKinds}. */
export type CatalogKind = (typeof catalogKinds)[number];

/** One entity of the catalog, normalised. */
export interface CatalogEntity {
  readonly kind: CatalogKind;
  /** `metadata.name`. */
  readonly name: string;
  readonly title: string | null;
  readonly description: string | null;
  /** `spec.type` (`service`, `database`, …). */
  readonly type: string | null;
  /** `spec.system`: the business process it belongs to. */
  readonly system: string | null;
  /** `spec.dependsOn`, as entity names. */
  readonly dependsOn: readonly string[];
  /** Annotation `failsmall.dev/status-component`: the status component it shows as. */
  readonly statusComponent: string | null;
}

/** A catalog as stored: its entities under a source name (a file, a reporter). */
export interface Catalog {
  readonly source: string;
  readonly entities: readonly CatalogEntity[];
  readonly updatedAt: number;
}
