/**
 * The status store contract and its one implementation over a {@link StatusBackend}: the lifecycle
 * rules are written here once, and memory, SQLite and PostgreSQL pass one contract suite
 * (test-support/status-store-contract.ts). Every write takes its time `at` from the caller (the
 * service's clock), validates its input ({@link parseInput}) and runs in one transaction.
 */
import { randomBytes } from 'node:crypto';
import { FailsmallError } from '../core/errors.js';
import { finiteNumber } from '../core/validate.js';
import type { Doc, DocumentKind, DocumentTx, StatusBackend } from './backend.js';
import { StatusErrorCodes } from './error-codes.js';
import { isValidId, isValidName, parseInput } from './input.js';
import { recordReportIn, type ReportResult } from './report-store.js';
import type {
  AffectedComponent,
  Catalog,
  CatalogEntity,
  Component,
  ComponentChange,
  ComponentEvent,
  ComponentInput,
  ComponentStatus,
  DependencyEdge,
  FailureInterval,
  Incident,
  IncidentInput,
  IncidentUpdate,
  IncidentUpdateInput,
  Maintenance,
  MaintenanceInput,
  MaintenanceStatus,
  PublishInput,
  ReportInput,
  Subscriber,
  Suggestion,
} from './model.js';

/** Options of {@link StatusStore.listIncidents}. */
export interface IncidentQuery {
  /** Only incidents that are not resolved; default false. */
  readonly unresolved?: boolean;
  /** At most this many, newest first; default 50. */
  readonly limit?: number;
}

/** Durable state of a status page. Every method rejects with a `FS_ERR_STATUS_…` code. */
export interface StatusStore {
  /** `memory`, `sqlite` or `postgres`. */
  readonly kind: string;
  /** Adds a component, or changes the name, description, group or position of the one with `input.id`. */
  putComponent(input: ComponentInput, at: number): Promise<Component>;
  /** Sets a component's status outside an incident (recorded for the uptime bars). */
  setComponentStatus(id: string, status: ComponentStatus, at: number): Promise<Component>;
  /** Removes a component; false when there was none. */
  deleteComponent(id: string): Promise<boolean>;
  /** Every component, by position then name. */
  listComponents(): Promise<Component[]>;
  /** Status changes of every component at or after `since`, oldest first. */
  componentEvents(since: number): Promise<ComponentEvent[]>;
  /** Opens an incident with its first update, and sets the components it names. */
  openIncident(input: IncidentInput, at: number): Promise<Incident>;
  /** Posts an update; on `resolved`, every affected component not named returns to operational. */
  updateIncident(id: string, input: IncidentUpdateInput, at: number): Promise<Incident>;
  getIncident(id: string): Promise<Incident | undefined>;
  /** Incidents, newest first. */
  listIncidents(query?: IncidentQuery): Promise<Incident[]>;
  scheduleMaintenance(input: MaintenanceInput, at: number): Promise<Maintenance>;
  /** Moves a maintenance on; its components are `under_maintenance` while `in_progress`/`verifying`. */
  setMaintenanceStatus(id: string, status: MaintenanceStatus, at: number): Promise<Maintenance>;
  /** Every maintenance, soonest first. */
  listMaintenances(): Promise<Maintenance[]>;
  addSubscriber(url: string, at: number): Promise<Subscriber>;
  removeSubscriber(id: string): Promise<boolean>;
  listSubscribers(): Promise<Subscriber[]>;
  /**
   * Records a reporter's batch (report-store.ts): call counts on the edges, breaker intervals,
   * suggestions. Validated first; nothing is recorded when any of it is invalid.
   */
  recordReport(input: ReportInput, at: number): Promise<ReportResult>;
  /** Suggestions, newest first; only those with `status` when given. */
  listSuggestions(query?: { readonly status?: Suggestion['status'] }): Promise<Suggestion[]>;
  getSuggestion(id: string): Promise<Suggestion | undefined>;
  /**
   * Opens the suggested incident (the responder's edits over the suggestion's words) and marks the
   * suggestion published, in one transaction. `FS_ERR_STATUS_CLOSED` when it was already decided.
   */
  publishSuggestion(
    id: string,
    input: PublishInput,
    by: 'responder' | 'rule',
    at: number,
  ): Promise<{ suggestion: Suggestion; incident: Incident }>;
  /** Marks a suggestion dismissed; `FS_ERR_STATUS_CLOSED` when it was already decided. */
  dismissSuggestion(id: string, at: number): Promise<Suggestion>;
  /** Every edge service → dependency seen in reports. */
  listEdges(): Promise<DependencyEdge[]>;
  /** Every breaker failure interval, oldest first. */
  listFailures(): Promise<FailureInterval[]>;
  /** Replaces the catalog from `source` (a name such as `file` or a reporter's service). */
  putCatalog(source: string, entities: readonly CatalogEntity[], at: number): Promise<Catalog>;
  /** Every stored catalog. */
  listCatalogs(): Promise<Catalog[]>;
  close(): Promise<void>;
}

/** A random id of 12 lower-case letters and digits, as Statuspage's. */
export function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (const byte of randomBytes(12)) id += alphabet[byte % 36];
  return id;
}

function notFound(what: string, id: string): never {
  throw new FailsmallError(StatusErrorCodes.NOT_FOUND, `No ${what} with id ${JSON.stringify(id)}`, {
    details: { what, id },
  });
}

/** The stored document `kind` `id` of `tx`; `FS_ERR_STATUS_NOT_FOUND` when there is none. */
async function existing(tx: DocumentTx, kind: DocumentKind, id: string): Promise<Doc> {
  const doc = await tx.get(kind, id);
  if (doc === undefined) notFound(kind, id);
  return doc;
}

const asComponent = (d: Doc): Component => d as unknown as Component;
const asIncident = (d: Doc): Incident => d as unknown as Incident;
const asMaintenance = (d: Doc): Maintenance => d as unknown as Maintenance;
const toDoc = (v: object): Doc => v as unknown as Doc;

/** Applies component changes inside `tx`: sets each status, records an event, returns what changed. */
async function applyChanges(
  tx: DocumentTx,
  changes: readonly ComponentChange[],
  at: number,
): Promise<AffectedComponent[]> {
  const affected: AffectedComponent[] = [];
  for (const change of changes) {
    const doc = await existing(tx, 'component', change.id);
    const component = asComponent(doc);
    if (component.status !== change.status) {
      await tx.put('component', change.id, toDoc({ ...component, status: change.status, updatedAt: at }));
      await tx.put('event', newId(), toDoc({ componentId: change.id, at, status: change.status }));
    }
    affected.push({ componentId: change.id, oldStatus: component.status, newStatus: change.status });
  }
  return affected;
}

/** Opens an incident inside `tx` (its input parsed, its changes checked for duplicates). */
async function openIn(
  tx: DocumentTx,
  input: IncidentInput,
  changes: readonly ComponentChange[],
  at: number,
): Promise<Incident> {
  const affected = await applyChanges(tx, changes, at);
  const status = input.status ?? 'investigating';
  const update: IncidentUpdate = {
    id: newId(),
    status,
    body: input.body,
    whatYouCanDo: input.whatYouCanDo ?? null,
    at,
    affected,
  };
  const incident: Incident = {
    id: newId(),
    name: input.name,
    status,
    impact: input.impact ?? 'minor',
    createdAt: at,
    updatedAt: at,
    monitoringAt: status === 'monitoring' ? at : null,
    resolvedAt: null,
    componentIds: changes.map((c) => c.id),
    updates: [update],
  };
  await tx.put('incident', incident.id, toDoc(incident));
  return incident;
}

function decided(id: string, suggestion: Suggestion): never {
  throw new FailsmallError(StatusErrorCodes.CLOSED, `Suggestion ${id} is already ${suggestion.status}`, {
    details: { id, status: suggestion.status },
  });
}

function checkAt(at: number): number {
  return finiteNumber('at', at);
}

function checkId(what: string, id: string): string {
  if (!isValidId(id)) notFound(what, String(id));
  return id;
}

/** Refuses two changes of one component in one write (which one would win is not obvious). */
function uniqueChanges(changes: readonly ComponentChange[]): readonly ComponentChange[] {
  const seen = new Set<string>();
  changes.forEach((c, i) => {
    if (seen.has(c.id)) {
      throw new FailsmallError(StatusErrorCodes.INVALID_INPUT, `Invalid input: components[${i}].id: named twice`, {
        details: { errors: [{ field: `components[${i}].id`, message: 'named twice' }] },
      });
    }
    seen.add(c.id);
  });
  return changes;
}

/**
 * The {@link StatusStore} over `backend`.
 *
 * @example
 * const store = createStatusStore(new MemoryBackend());
 * await store.putComponent({ id: 'api', name: 'API', group: 'Checkout' }, Date.now());
 */
export function createStatusStore(backend: StatusBackend): StatusStore {
  return {
    kind: backend.kind,

    async putComponent(raw, at) {
      checkAt(at);
      const input = parseInput('component', raw);
      return backend.write(async (tx) => {
        const id = input.id ?? newId();
        const old = await tx.get('component', id);
        const all = (await tx.list('component')).map(asComponent);
        const position =
          input.position ??
          (old === undefined ? all.reduce((m, c) => Math.max(m, c.position + 1), 0) : asComponent(old).position);
        const component: Component =
          old === undefined
            ? {
                id,
                name: input.name,
                description: input.description ?? null,
                group: input.group,
                position,
                status: 'operational',
                createdAt: at,
                updatedAt: at,
              }
            : {
                ...asComponent(old),
                name: input.name,
                description: input.description ?? null,
                group: input.group,
                position,
                updatedAt: at,
              };
        await tx.put('component', id, toDoc(component));
        if (old === undefined) await tx.put('event', newId(), toDoc({ componentId: id, at, status: 'operational' }));
        return component;
      });
    },

    async setComponentStatus(id, status, at) {
      checkAt(at);
      checkId('component', id);
      const input = parseInput('componentStatus', { status });
      return backend.write(async (tx) => {
        await applyChanges(tx, [{ id, status: input.status }], at);
        return asComponent((await tx.get('component', id))!);
      });
    },

    async deleteComponent(id) {
      if (!isValidId(id)) return false;
      return backend.write((tx) => tx.delete('component', id));
    },

    async listComponents() {
      const all = await backend.read((tx) => tx.list('component'));
      return all.map(asComponent).sort((a, b) => a.position - b.position || a.name.localeCompare(b.name));
    },

    async componentEvents(since) {
      finiteNumber('since', since);
      const all = await backend.read((tx) => tx.list('event'));
      return (all as unknown as ComponentEvent[]).filter((e) => e.at >= since).sort((a, b) => a.at - b.at);
    },

    async openIncident(raw, at) {
      checkAt(at);
      const input = parseInput('incident', raw);
      const changes = uniqueChanges(input.components ?? []);
      return backend.write((tx) => openIn(tx, input, changes, at));
    },

    async updateIncident(id, raw, at) {
      checkAt(at);
      checkId('incident', id);
      const input = parseInput('update', raw);
      const named = uniqueChanges(input.components ?? []);
      return backend.write(async (tx) => {
        const doc = await existing(tx, 'incident', id);
        const incident = asIncident(doc);
        if (incident.status === 'resolved') {
          throw new FailsmallError(StatusErrorCodes.CLOSED, `Incident ${id} is resolved: open a new incident instead`, {
            details: { id },
          });
        }
        const changes = [...named];
        if (input.status === 'resolved') {
          for (const componentId of incident.componentIds) {
            if (!named.some((c) => c.id === componentId) && (await tx.get('component', componentId)) !== undefined) {
              changes.push({ id: componentId, status: 'operational' });
            }
          }
        }
        const affected = await applyChanges(tx, changes, at);
        const updated: Incident = {
          ...incident,
          status: input.status,
          impact: input.impact ?? incident.impact,
          updatedAt: at,
          monitoringAt: incident.monitoringAt ?? (input.status === 'monitoring' ? at : null),
          resolvedAt: input.status === 'resolved' ? at : null,
          componentIds: [...new Set([...incident.componentIds, ...named.map((c) => c.id)])],
          updates: [
            ...incident.updates,
            {
              id: newId(),
              status: input.status,
              body: input.body,
              whatYouCanDo: input.whatYouCanDo ?? null,
              at,
              affected,
            },
          ],
        };
        await tx.put('incident', id, toDoc(updated));
        return updated;
      });
    },

    async getIncident(id) {
      if (!isValidId(id)) return undefined;
      const doc = await backend.read((tx) => tx.get('incident', id));
      return doc === undefined ? undefined : asIncident(doc);
    },

    async listIncidents(query = {}) {
      const limit = query.limit ?? 50;
      const all = (await backend.read((tx) => tx.list('incident'))).map(asIncident);
      return all
        .filter((i) => query.unresolved !== true || i.status !== 'resolved')
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, limit);
    },

    async scheduleMaintenance(raw, at) {
      checkAt(at);
      const input = parseInput('maintenance', raw);
      return backend.write(async (tx) => {
        for (const componentId of input.components ?? []) {
          await existing(tx, 'component', componentId);
        }
        const maintenance: Maintenance = {
          id: newId(),
          name: input.name,
          body: input.body,
          status: 'scheduled',
          scheduledFor: input.scheduledFor,
          scheduledUntil: input.scheduledUntil,
          componentIds: [...new Set(input.components ?? [])],
          createdAt: at,
          updatedAt: at,
        };
        await tx.put('maintenance', maintenance.id, toDoc(maintenance));
        return maintenance;
      });
    },

    async setMaintenanceStatus(id, status, at) {
      checkAt(at);
      checkId('maintenance', id);
      const input = parseInput('maintenanceStatus', { status });
      return backend.write(async (tx) => {
        const doc = await existing(tx, 'maintenance', id);
        const maintenance = asMaintenance(doc);
        if (maintenance.status === 'completed') {
          throw new FailsmallError(StatusErrorCodes.CLOSED, `Maintenance ${id} is completed`, { details: { id } });
        }
        const working = input.status === 'in_progress' || input.status === 'verifying';
        const present: string[] = [];
        for (const componentId of maintenance.componentIds) {
          if ((await tx.get('component', componentId)) !== undefined) present.push(componentId);
        }
        await applyChanges(
          tx,
          present.map((c) => ({ id: c, status: working ? 'under_maintenance' : 'operational' })),
          at,
        );
        const updated: Maintenance = { ...maintenance, status: input.status, updatedAt: at };
        await tx.put('maintenance', id, toDoc(updated));
        return updated;
      });
    },

    async listMaintenances() {
      const all = (await backend.read((tx) => tx.list('maintenance'))).map(asMaintenance);
      return all.sort((a, b) => a.scheduledFor - b.scheduledFor);
    },

    async addSubscriber(url, at) {
      checkAt(at);
      const input = parseInput('subscriber', { url });
      return backend.write(async (tx) => {
        const existing = (await tx.list('subscriber')) as unknown as Subscriber[];
        const same = existing.find((s) => s.url === input.url);
        if (same !== undefined) return same;
        const subscriber: Subscriber = { id: newId(), url: input.url, createdAt: at };
        await tx.put('subscriber', subscriber.id, toDoc(subscriber));
        return subscriber;
      });
    },

    async removeSubscriber(id) {
      if (!isValidId(id)) return false;
      return backend.write((tx) => tx.delete('subscriber', id));
    },

    async listSubscribers() {
      return (await backend.read((tx) => tx.list('subscriber'))) as unknown as Subscriber[];
    },

    async recordReport(raw, at) {
      checkAt(at);
      const input = parseInput('report', raw);
      return backend.write((tx) => recordReportIn(tx, input, at, newId));
    },

    async listSuggestions(query = {}) {
      const all = (await backend.read((tx) => tx.list('suggestion'))) as unknown as Suggestion[];
      return all
        .filter((s) => query.status === undefined || s.status === query.status)
        .sort((a, b) => b.lastAt - a.lastAt || b.firstAt - a.firstAt);
    },

    async getSuggestion(id) {
      if (!isValidId(id)) return undefined;
      const doc = await backend.read((tx) => tx.get('suggestion', id));
      return doc === undefined ? undefined : (doc as unknown as Suggestion);
    },

    async publishSuggestion(id, raw, by, at) {
      checkAt(at);
      checkId('suggestion', id);
      const edits = parseInput('publish', raw);
      return backend.write(async (tx) => {
        const doc = await existing(tx, 'suggestion', id);
        const suggestion = doc as unknown as Suggestion;
        if (suggestion.status !== 'suggested') decided(id, suggestion);
        // No components given (or none picked in the responder view): the suggested ones.
        const changes = uniqueChanges(
          edits.components !== undefined && edits.components.length > 0
            ? edits.components
            : suggestion.componentIds.map((componentId) => ({ id: componentId, status: suggestion.componentStatus })),
        );
        const input = parseInput('incident', {
          name: edits.name ?? suggestion.name,
          body: edits.body ?? suggestion.body,
          impact: edits.impact ?? suggestion.impact,
          ...(edits.whatYouCanDo === undefined ? {} : { whatYouCanDo: edits.whatYouCanDo }),
          components: changes,
        });
        const incident = await openIn(tx, input, changes, at);
        const published: Suggestion = {
          ...suggestion,
          status: 'published',
          incidentId: incident.id,
          decidedAt: at,
          decidedBy: by,
        };
        await tx.put('suggestion', id, toDoc(published));
        return { suggestion: published, incident };
      });
    },

    async dismissSuggestion(id, at) {
      checkAt(at);
      checkId('suggestion', id);
      return backend.write(async (tx) => {
        const doc = await existing(tx, 'suggestion', id);
        const suggestion = doc as unknown as Suggestion;
        if (suggestion.status !== 'suggested') decided(id, suggestion);
        const dismissed: Suggestion = { ...suggestion, status: 'dismissed', decidedAt: at, decidedBy: 'responder' };
        await tx.put('suggestion', id, toDoc(dismissed));
        return dismissed;
      });
    },

    async listEdges() {
      return (await backend.read((tx) => tx.list('edge'))) as unknown as DependencyEdge[];
    },

    async listFailures() {
      const all = (await backend.read((tx) => tx.list('failure'))) as unknown as FailureInterval[];
      return all.sort((a, b) => a.startedAt - b.startedAt);
    },

    async putCatalog(source, entities, at) {
      checkAt(at);
      if (!isValidName(source)) {
        throw new FailsmallError(StatusErrorCodes.INVALID_INPUT, 'Invalid catalog: source: not a valid name', {
          details: { errors: [{ field: 'source', message: 'letters, digits and . _ : @ / -, 1 to 128 characters' }] },
        });
      }
      const catalog: Catalog = { source, entities: [...entities], updatedAt: at };
      await backend.write((tx) => tx.put('catalog', source, toDoc(catalog)));
      return catalog;
    },

    async listCatalogs() {
      return (await backend.read((tx) => tx.list('catalog'))) as unknown as Catalog[];
    },

    close: () => backend.close(),
  };
}
