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
