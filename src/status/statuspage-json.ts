/**
 * The public JSON in the shape Statuspage documents for its v2 API (`/api/v2/summary.json`,
 * `status.json`, `components.json`, `incidents.json`, `incidents/unresolved.json`,
 * `scheduled-maintenances*.json`): the same field names and status values, so widgets and monitors
 * built for Statuspage read a failsmall page unchanged. Business processes become Statuspage
 * component groups (`group: true`, members carry `group_id`). The "what you can do" text of an update
 * is appended to its `body`, as Statuspage has no field for it. Pure functions of the stored state.
 *
 * @see https://confluence.status.atlassian.com/api (a Statuspage page documenting its public API)
 */
import { createHash } from 'node:crypto';
import {
  componentStatuses,
  incidentImpacts,
  type Component,
  type ComponentStatus,
  type Incident,
  type IncidentImpact,
  type Maintenance,
} from './model.js';

/** The page a status service describes. */
export interface PageInfo {
  /** A stable id of the page, default `failsmall`. */
  readonly id: string;
  readonly name: string;
  /** The public URL of the page. */
  readonly url: string;
  /** An IANA time zone name, default `Etc/UTC`. */
  readonly timeZone: string;
}

/** The state a summary is built from. */
export interface PageState {
  readonly page: PageInfo;
  readonly components: readonly Component[];
  readonly incidents: readonly Incident[];
  readonly maintenances: readonly Maintenance[];
}

/** Statuspage's overall indicator. */
export type Indicator = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The id of the Statuspage component group of a business process: stable, 12 characters. */
export function groupId(group: string): string {
  return createHash('sha256').update(`group:${group}`).digest('hex').slice(0, 12);
}

function componentJson(c: Component, pageId: string, position: number) {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    position,
    description: c.description,
    showcase: true,
    start_date: iso(c.createdAt)!.slice(0, 10),
    group_id: groupId(c.group),
    page_id: pageId,
    group: false,
    only_show_if_degraded: false,
  };
}

/** The worst status of some components (`operational` for none). */
export function worstStatus(statuses: readonly ComponentStatus[]): ComponentStatus {
  let worst: ComponentStatus = 'operational';
  for (const s of statuses) if (componentStatuses.indexOf(s) > componentStatuses.indexOf(worst)) worst = s;
  return worst;
}

/** Components and their groups, in Statuspage's flat list (each group before its members). */
export function componentsJson(state: PageState) {
  const groups = new Map<string, Component[]>();
  for (const c of state.components) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const out: Record<string, unknown>[] = [];
  let position = 1;
  for (const [group, members] of groups) {
    const id = groupId(group);
    out.push({
      id,
      name: group,
      status: worstStatus(members.map((m) => m.status)),
      created_at: iso(Math.min(...members.map((m) => m.createdAt))),
      updated_at: iso(Math.max(...members.map((m) => m.updatedAt))),
      position: position++,
      description: null,
      showcase: false,
      start_date: null,
      group_id: null,
      page_id: state.page.id,
      group: true,
      only_show_if_degraded: false,
      components: members.map((m) => m.id),
    });
    for (const m of members) out.push(componentJson(m, state.page.id, position++));
  }
  return out;
}

function updateBody(body: string, whatYouCanDo: string | null): string {
  return whatYouCanDo === null || whatYouCanDo === '' ? body : `${body}\n\nWhat you can do: ${whatYouCanDo}`;
}

/** One entry of an event's `incident_updates`. */
interface UpdateFields<Status, Affected> {
  readonly id: string;
  readonly status: Status;
  readonly body: string;
  readonly at: number;
  readonly affected: Affected;
}

/**
 * What Statuspage's incidents and scheduled maintenances share: a maintenance is an incident there,
 * with `impact: maintenance` and its schedule. `updates` newest first.
 */
function eventJson<Status extends string, Impact extends string, Monitoring extends string | null, Affected>(
  state: PageState,
  path: 'incidents' | 'maintenances',
  e: {
    readonly id: string;
    readonly name: string;
    readonly status: Status;
    readonly createdAt: number;
    readonly updatedAt: number;
    readonly monitoringAt: Monitoring;
    readonly resolvedAt: number | null;
    readonly impact: Impact;
    readonly startedAt: number;
    readonly updates: readonly UpdateFields<Status, Affected>[];
    readonly componentIds: readonly string[];
  },
) {
  const byId = new Map(state.components.map((c) => [c.id, c]));
  const positions = new Map(componentsJson(state).map((c) => [c['id'] as string, c['position'] as number]));
  return {
    id: e.id,
    name: e.name,
    status: e.status,
    created_at: iso(e.createdAt),
    updated_at: iso(e.updatedAt),
    monitoring_at: e.monitoringAt,
    resolved_at: iso(e.resolvedAt),
    impact: e.impact,
    shortlink: `${state.page.url.replace(/\/$/, '')}/${path}/${e.id}`,
    started_at: iso(e.startedAt),
    page_id: state.page.id,
    incident_updates: e.updates.map((u) => ({
      id: u.id,
      status: u.status,
      body: u.body,
      incident_id: e.id,
      created_at: iso(u.at),
      updated_at: iso(u.at),
      display_at: iso(u.at),
      affected_components: u.affected,
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    })),
    components: e.componentIds
      .map((id) => byId.get(id))
      .filter((c): c is Component => c !== undefined)
      .map((c) => componentJson(c, state.page.id, positions.get(c.id) ?? 0)),
  };
}

function incidentJson(incident: Incident, state: PageState) {
  const nameOf = (id: string): string => state.components.find((c) => c.id === id)?.name ?? id;
  return eventJson(state, 'incidents', {
    ...incident,
    monitoringAt: iso(incident.monitoringAt),
    startedAt: incident.createdAt,
    updates: [...incident.updates].reverse().map((u) => ({
      id: u.id,
      status: u.status,
      body: updateBody(u.body, u.whatYouCanDo),
      at: u.at,
      affected:
        u.affected.length === 0
          ? null
          : u.affected.map((a) => ({
              code: a.componentId,
              name: nameOf(a.componentId),
              old_status: a.oldStatus,
              new_status: a.newStatus,
            })),
    })),
  });
}

function maintenanceJson(m: Maintenance, state: PageState) {
  return {
    ...eventJson(state, 'maintenances', {
      ...m,
      monitoringAt: null,
      resolvedAt: m.status === 'completed' ? m.updatedAt : null,
      impact: 'maintenance' as string,
      startedAt: m.scheduledFor,
      updates: [{ id: `${m.id}-u`, status: m.status, body: m.body, at: m.updatedAt, affected: null }],
    }),
    scheduled_for: iso(m.scheduledFor),
    scheduled_until: iso(m.scheduledUntil),
  };
}

const descriptions: Record<Indicator, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major System Outage',
  maintenance: 'Service Under Maintenance',
};

/** The overall `{ indicator, description }`: the worse of the components' and the open incidents'. */
export function overallStatus(state: PageState): { indicator: Indicator; description: string } {
  const byComponent: Record<ComponentStatus, IncidentImpact | 'maintenance'> = {
    operational: 'none',
    under_maintenance: 'maintenance',
    degraded_performance: 'minor',
    partial_outage: 'major',
    major_outage: 'critical',
  };
  let level = 0;
  let maintenance = false;
  for (const c of state.components) {
    const v = byComponent[c.status];
    if (v === 'maintenance') maintenance = true;
    else level = Math.max(level, incidentImpacts.indexOf(v));
  }
  for (const i of state.incidents)
    if (i.status !== 'resolved') level = Math.max(level, incidentImpacts.indexOf(i.impact));
  const indicator: Indicator = level === 0 && maintenance ? 'maintenance' : incidentImpacts[level]!;
  return { indicator, description: descriptions[indicator] };
}

function pageJson(state: PageState) {
  const times = [
    ...state.components.map((c) => c.updatedAt),
    ...state.incidents.map((i) => i.updatedAt),
    ...state.maintenances.map((m) => m.updatedAt),
  ];
  return {
    id: state.page.id,
    name: state.page.name,
    url: state.page.url,
    time_zone: state.page.timeZone,
    updated_at: iso(times.length === 0 ? 0 : Math.max(...times)),
  };
}

const unresolved = (state: PageState) => state.incidents.filter((i) => i.status !== 'resolved');
const upcoming = (state: PageState) => state.maintenances.filter((m) => m.status === 'scheduled');
const active = (state: PageState) =>
  state.maintenances.filter((m) => m.status === 'in_progress' || m.status === 'verifying');

/** Every public JSON document, by its path under `/api/v2/`. */
export const statuspageDocuments = {
  'summary.json': (s: PageState) => ({
    page: pageJson(s),
    components: componentsJson(s),
    incidents: unresolved(s).map((i) => incidentJson(i, s)),
    scheduled_maintenances: [...active(s), ...upcoming(s)].map((m) => maintenanceJson(m, s)),
    status: overallStatus(s),
  }),
  'status.json': (s: PageState) => ({ page: pageJson(s), status: overallStatus(s) }),
  'components.json': (s: PageState) => ({ page: pageJson(s), components: componentsJson(s) }),
  'incidents.json': (s: PageState) => ({ page: pageJson(s), incidents: s.incidents.map((i) => incidentJson(i, s)) }),
  'incidents/unresolved.json': (s: PageState) => ({
    page: pageJson(s),
    incidents: unresolved(s).map((i) => incidentJson(i, s)),
  }),
  'scheduled-maintenances.json': (s: PageState) => ({
    page: pageJson(s),
    scheduled_maintenances: s.maintenances.map((m) => maintenanceJson(m, s)),
  }),
  'scheduled-maintenances/upcoming.json': (s: PageState) => ({
    page: pageJson(s),
    scheduled_maintenances: upcoming(s).map((m) => maintenanceJson(m, s)),
  }),
  'scheduled-maintenances/active.json': (s: PageState) => ({
    page: pageJson(s),
    scheduled_maintenances: active(s).map((m) => maintenanceJson(m, s)),
  }),
} as const;

/** A path under `/api/v2/` that {@link statuspageDocuments} serves. */
export type StatuspagePath = keyof typeof statuspageDocuments;

/** The Statuspage webhook payload for an incident change. */
export function incidentWebhook(incident: Incident, state: PageState) {
  const status = overallStatus(state);
  return {
    meta: { unsubscribe: null, documentation: null },
    page: { id: state.page.id, status_indicator: status.indicator, status_description: status.description },
    incident: incidentJson(incident, state),
  };
}
