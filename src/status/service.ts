/**
 * The status service: a {@link StatusStore} with a clock, the update cadence, notifications and a
 * cache of the public documents. Every write goes through it, so that each one refreshes the cache,
 * reschedules the cadence reminders and tells the webhook subscribers. Time comes from the injected
 * {@link Clock} (a VirtualClock in tests drives the reminders without sleeping).
 *
 * Channels (`node:diagnostics_channel`): `failsmall:status:update-due` ({@link CadenceReminder}),
 * `failsmall:status:incident` (`{ incident, kind: 'opened' | 'updated' }`) and
 * `failsmall:status:suggestion` (`{ suggestion }`, each suggestion a report created or folded into).
 */
import { createHash } from 'node:crypto';
import { raceTimer } from '../core/abort.js';
import { systemClock, type Cancel, type Clock } from '../core/clock.js';
import { channel, Emitter } from '../core/events.js';
import { FailsmallError } from '../core/errors.js';
import { nonNegativeNumber, positiveNumber } from '../core/validate.js';
import { renderAtom } from './atom.js';
import {
  cadence as makeCadence,
  cadenceStatus,
  nextUpdateDue,
  type Cadence,
  type CadenceOptions,
  type CadenceStatus,
} from './cadence.js';
import { buildDependencyMap, type DependencyMap } from './dependency-map.js';
import { renderPublicPage, renderResponder } from './html.js';
import type { ReportResult } from './report-store.js';
import type {
  Component,
  ComponentInput,
  ComponentStatus,
  Incident,
  IncidentInput,
  IncidentUpdateInput,
  Maintenance,
  MaintenanceInput,
  MaintenanceStatus,
  PublishInput,
  ReportInput,
  Subscriber,
  Suggestion,
  SuggestionKind,
} from './model.js';
import {
  incidentWebhook,
  statuspageDocuments,
  type PageInfo,
  type PageState,
  type StatuspagePath,
} from './statuspage-json.js';
import type { StatusStore } from './store.js';

/**
 * A rule that publishes a suggestion without a human: suggestions of `kind` (about `subject`, when
 * given) once `minCount` signals folded into them (default 1). Without a rule, nothing is
 * published automatically.
 */
export interface AutoPublishRule {
  readonly kind: SuggestionKind;
  readonly subject?: string;
  readonly minCount?: number;
}

/** Options of {@link StatusService}. */
export interface StatusServiceOptions {
  /** Rules that publish suggestions automatically; default none (a responder decides each). */
  readonly autoPublish?: readonly AutoPublishRule[];
  readonly store: StatusStore;
  /** Default {@link systemClock}. */
  readonly clock?: Clock;
  /** The page's id, name, public URL and time zone; defaults `failsmall`, `Status`, `http://127.0.0.1/`, `Etc/UTC`. */
  readonly page?: Partial<PageInfo>;
  /** The update cadence; default 15, 60, then every 120 minutes, reminders 5 minutes ahead. */
  readonly cadence?: CadenceOptions;
  /** A URL that receives a POST when an update comes due or becomes overdue (the responders' pager); default none. */
  readonly cadenceWebhook?: string;
  /**
   * How long a rendered public document is served from the cache, in milliseconds; default 2 s: a
   * local write refreshes it at once, so the TTL only bounds how stale a replica's page can be when
   * another server wrote to a shared PostgreSQL.
   */
  readonly cacheTtlMs?: number;
  /** How long one webhook POST may take, in milliseconds of the clock; default 5 s. */
  readonly webhookTimeoutMs?: number;
  /** The `fetch` used for webhooks; default the global one. */
  readonly fetch?: typeof fetch;
}

/** A reminder that an incident's next update is due (or overdue). */
export interface CadenceReminder {
  readonly type: 'update_due' | 'update_overdue';
  readonly incidentId: string;
  readonly name: string;
  /** When the update is due, in milliseconds of the clock. */
  readonly dueAt: number;
  /** When the reminder fired. */
  readonly at: number;
}

/** A rendered document in the cache. */
export interface CachedDocument {
  readonly text: string;
  /** `text` encoded as UTF-8 once, so that a cache hit sends bytes without encoding them again. */
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** A cache entry: the render in flight or done, and the previous document while it renders again. */
interface CacheEntry {
  readonly at: number;
  readonly value: Promise<CachedDocument>;
  done?: CachedDocument;
  /** The document this render replaces (same generation: no write since), served until it is done. */
  readonly stale: CachedDocument | undefined;
}

const KNOWN = new Set([
  'autoPublish',
  'store',
  'clock',
  'page',
  'cadence',
  'cadenceWebhook',
  'cacheTtlMs',
  'webhookTimeoutMs',
  'fetch',
]);
const dueChannel = channel('status', 'update-due');
const incidentChannel = channel('status', 'incident');
const suggestionChannel = channel('status', 'suggestion');

function checkRules(rules: unknown): readonly AutoPublishRule[] {
  if (rules === undefined) return [];
  const bad = (why: string): never => {
    throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', `Expected \`autoPublish\` ${why}`, {
      details: { option: 'autoPublish' },
    });
  };
  if (!Array.isArray(rules)) bad('to be an array of rules');
  for (const [i, r] of (rules as AutoPublishRule[]).entries()) {
    if (!['breaker-open', 'dns-guard', 'health-escalation'].includes(r?.kind))
      bad(`[${i}].kind to be breaker-open, dns-guard or health-escalation, got ${JSON.stringify(r?.kind)}`);
    if (r.minCount !== undefined && !(Number.isInteger(r.minCount) && r.minCount >= 1))
      bad(`[${i}].minCount to be a positive integer, got ${String(r.minCount)}`);
  }
  return rules as readonly AutoPublishRule[];
}

/**
 * @example
 * const service = new StatusService({ store: await openStatusStore('sqlite:status.db') });
 * await service.start();
 * const incident = await service.openIncident({ name: 'Checkout errors', body: 'Investigating' });
 */
export class StatusService {
  readonly store: StatusStore;
  readonly clock: Clock;
  readonly page: PageInfo;
  readonly cadence: Cadence;
  /** Fires for each cadence reminder (also published on `failsmall:status:update-due`). */
  readonly onReminder = new Emitter<CadenceReminder>();
  /** Webhook deliveries so far. */
  readonly deliveries = { sent: 0, failed: 0 };
  readonly #rules: readonly AutoPublishRule[];
  readonly #cadenceWebhook: string | undefined;
  readonly #ttl: number;
  readonly #webhookTimeout: number;
  readonly #fetch: typeof fetch;
  readonly #timers = new Map<string, Cancel[]>();
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inflight = new Set<Promise<unknown>>();
  #generation = 0;
  #closed = false;

  constructor(options: StatusServiceOptions) {
    for (const key of Object.keys(options)) {
      if (!KNOWN.has(key)) {
        throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', `Unknown option \`${key}\``, { details: { option: key } });
      }
    }
    if (options.store === undefined) {
      throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'Expected `store` to be a StatusStore, got undefined', {
        details: { option: 'store' },
      });
    }
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.page = {
      id: options.page?.id ?? 'failsmall',
      name: options.page?.name ?? 'Status',
      url: options.page?.url ?? 'http://127.0.0.1/',
      timeZone: options.page?.timeZone ?? 'Etc/UTC',
    };
    this.cadence = makeCadence(options.cadence);
    this.#rules = checkRules(options.autoPublish);
    this.#cadenceWebhook = options.cadenceWebhook;
    this.#ttl = nonNegativeNumber('cacheTtlMs', options.cacheTtlMs ?? 2_000);
    this.#webhookTimeout = positiveNumber('webhookTimeoutMs', options.webhookTimeoutMs ?? 5_000);
    this.#fetch = options.fetch ?? fetch;
  }

  /** Schedules the cadence reminders of every open incident in the store. */
  async start(): Promise<void> {
    for (const incident of await this.store.listIncidents({ unresolved: true, limit: 10_000 }))
      this.#schedule(incident);
  }

  // ---- writes ----

  async putComponent(input: ComponentInput): Promise<Component> {
    return this.#wrote(await this.store.putComponent(input, this.clock.now()));
  }

  async setComponentStatus(id: string, status: ComponentStatus): Promise<Component> {
    return this.#wrote(await this.store.setComponentStatus(id, status, this.clock.now()));
  }

  async openIncident(input: IncidentInput): Promise<Incident> {
    const incident = this.#wrote(await this.store.openIncident(input, this.clock.now()));
    this.#schedule(incident);
    this.#announce(incident, 'opened');
    return incident;
  }

  async updateIncident(id: string, input: IncidentUpdateInput): Promise<Incident> {
    const incident = this.#wrote(await this.store.updateIncident(id, input, this.clock.now()));
    this.#schedule(incident);
    this.#announce(incident, 'updated');
    return incident;
  }

  async scheduleMaintenance(input: MaintenanceInput): Promise<Maintenance> {
    return this.#wrote(await this.store.scheduleMaintenance(input, this.clock.now()));
  }

  async setMaintenanceStatus(id: string, status: MaintenanceStatus): Promise<Maintenance> {
    return this.#wrote(await this.store.setMaintenanceStatus(id, status, this.clock.now()));
  }

  async addSubscriber(url: string): Promise<Subscriber> {
    return this.store.addSubscriber(url, this.clock.now());
  }

  removeSubscriber(id: string): Promise<boolean> {
    return this.store.removeSubscriber(id);
  }

  /**
   * Records a reporter's batch (signals and call counts) and publishes, by the configured rules
   * only, the suggestions it created or folded into. Rejects bad input with field-level errors
   * (`FS_ERR_STATUS_INVALID_INPUT`, `FS_ERR_STATUS_UNKNOWN_COMPONENT`); nothing is recorded then.
   */
  async report(input: ReportInput): Promise<ReportResult> {
    const result = this.#wrote(await this.store.recordReport(input, this.clock.now()));
    const suggestions: Suggestion[] = [];
    for (const s of result.suggestions) {
      if (suggestionChannel.hasSubscribers) suggestionChannel.publish({ suggestion: s });
      const rule = this.#rules.find(
        (r) =>
          r.kind === s.kind && (r.subject === undefined || r.subject === s.subject) && s.count >= (r.minCount ?? 1),
      );
      if (rule !== undefined && s.status === 'suggested') {
        suggestions.push((await this.publishSuggestion(s.id, {}, 'rule')).suggestion);
      } else suggestions.push(s);
    }
    return { ...result, suggestions };
  }

  /** Publishes a suggestion as an incident, with the responder's edits over its words. */
  async publishSuggestion(
    id: string,
    input: PublishInput = {},
    by: 'responder' | 'rule' = 'responder',
  ): Promise<{ suggestion: Suggestion; incident: Incident }> {
    const published = this.#wrote(await this.store.publishSuggestion(id, input, by, this.clock.now()));
    this.#schedule(published.incident);
    this.#announce(published.incident, 'opened');
    return published;
  }

  /** Dismisses a suggestion (a false alarm, or already known). */
  async dismissSuggestion(id: string): Promise<Suggestion> {
    return this.#wrote(await this.store.dismissSuggestion(id, this.clock.now()));
  }

  /**
   * Loads a Backstage `catalog-info.yaml` text as the catalog of `source` (default `file`),
   * replacing that source's previous one. Rejects with `FS_ERR_STATUS_INVALID_CATALOG` and
   * field-level errors; the previous catalog stays then.
   */
  async loadCatalog(yaml: string, source = 'file'): Promise<{ entities: number; ignored: string[] }> {
    const { parseCatalog } = await import('./catalog.js');
    const parsed = parseCatalog(yaml, source);
    this.#wrote(await this.store.putCatalog(source, parsed.entities, this.clock.now()));
    return { entities: parsed.entities.length, ignored: parsed.ignored };
  }

  /** The dependency map now: traffic edges, the catalog, MTTR per dependency. */
  async dependencyMap(): Promise<DependencyMap> {
    const [edges, catalogs, failures, suggestions, incidents, components] = await Promise.all([
      this.store.listEdges(),
      this.store.listCatalogs(),
      this.store.listFailures(),
      this.store.listSuggestions(),
      this.store.listIncidents({ limit: 10_000 }),
      this.store.listComponents(),
    ]);
    return buildDependencyMap({
      edges,
      catalogs,
      failures,
      suggestions,
      incidents,
      components,
      now: this.clock.now(),
    });
  }

  #wrote<T>(value: T): T {
    this.#generation++;
    this.#cache.clear();
    return value;
  }

  // ---- reads ----

  /** Everything the public documents are built from. */
  async state(): Promise<PageState> {
    const [components, incidents, maintenances] = await Promise.all([
      this.store.listComponents(),
      this.store.listIncidents({ limit: 50 }),
      this.store.listMaintenances(),
    ]);
    return { page: this.page, components, incidents, maintenances };
  }

  /** The cadence of every open incident now, most urgent first (shown to responders). */
  async cadenceNow(): Promise<CadenceStatus[]> {
    const now = this.clock.now();
    const open = await this.store.listIncidents({ unresolved: true, limit: 10_000 });
    return open.map((i) => cadenceStatus(i, now, this.cadence)!).sort((a, b) => a.dueAt - b.dueAt);
  }

  /**
   * A public document from the cache when fresh, else rendered (once, however many ask at the same
   * time): a Statuspage path (`summary.json`, …), `page` (the HTML page) or `atom`. Synchronous on a
   * cache hit, through {@link cached}.
   */
  document(name: StatuspagePath | 'page' | 'atom' | 'dependencies'): Promise<CachedDocument> {
    const hit = this.cached(name);
    if (hit !== undefined) return Promise.resolve(hit);
    const entry = this.#cache.get(name);
    if (entry !== undefined && entry.done === undefined) return entry.value;
    return this.#rerender(name, undefined);
  }

  /** Renders `name` into the cache; `stale` is served meanwhile. */
  #rerender(
    name: Parameters<StatusService['document']>[0],
    stale: CachedDocument | undefined,
  ): Promise<CachedDocument> {
    const generation = this.#generation;
    const value = this.#render(name);
    const fresh: CacheEntry = { at: this.clock.now(), value, stale };
    this.#cache.set(name, fresh);
    value.then(
      (doc) => {
        if (this.#generation === generation && this.#cache.get(name) === fresh) fresh.done = doc;
      },
      () => {
        if (this.#cache.get(name) === fresh) this.#cache.delete(name);
      },
    );
    return value;
  }

  /**
   * The cached document when it is fresh; `undefined` otherwise. Past the TTL, and up to twice the
   * TTL, the document is still served while it is rendered again in the background
   * (stale-while-revalidate), so that the busiest moment of a status page never queues its readers
   * behind a render; a write empties the cache at once, so this only delays another replica's
   * writes, by at most one more TTL.
   */
  cached(name: string): CachedDocument | undefined {
    const entry = this.#cache.get(name);
    if (entry === undefined) return undefined;
    if (entry.done === undefined) return entry.stale;
    const age = this.clock.now() - entry.at;
    if (age <= this.#ttl) return entry.done;
    if (age > 2 * this.#ttl) return undefined;
    // `name` has an entry, so document() made it: it is a document name.
    this.#rerender(name as Parameters<StatusService['document']>[0], entry.done).catch(() => undefined);
    return entry.done;
  }

  async #render(name: StatuspagePath | 'page' | 'atom' | 'dependencies'): Promise<CachedDocument> {
    const state = await this.state();
    let text: string;
    let contentType: string;
    if (name === 'dependencies') {
      text = JSON.stringify(await this.dependencyMap());
      contentType = 'application/json; charset=utf-8';
    } else if (name === 'page') {
      const now = this.clock.now();
      // Every event: the bar needs the status in force when its 90 days begin.
      const [events, map] = await Promise.all([this.store.componentEvents(0), this.dependencyMap()]);
      text = renderPublicPage({ state, events, now, cadence: this.cadence, map });
      contentType = 'text/html; charset=utf-8';
    } else if (name === 'atom') {
      text = renderAtom(this.page, state.incidents);
      contentType = 'application/atom+xml; charset=utf-8';
    } else {
      text = JSON.stringify(statuspageDocuments[name](state));
      contentType = 'application/json; charset=utf-8';
    }
    const body = Buffer.from(text, 'utf8');
    return { text, body, contentType, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
  }

  /** The responder view for a session with CSRF token `csrf`; never cached. */
  async responderPage(csrf: string): Promise<string> {
    const [state, suggestions] = await Promise.all([this.state(), this.store.listSuggestions({ status: 'suggested' })]);
    return renderResponder({ state, now: this.clock.now(), cadence: this.cadence, csrf, suggestions });
  }

  // ---- cadence ----

  #schedule(incident: Incident): void {
    for (const cancel of this.#timers.get(incident.id) ?? []) cancel();
    this.#timers.delete(incident.id);
    if (this.#closed) return;
    const dueAt = nextUpdateDue(incident, this.cadence);
    if (dueAt === undefined) return;
    const now = this.clock.now();
    const remind = (type: CadenceReminder['type']) => () => {
      const reminder: CadenceReminder = {
        type,
        incidentId: incident.id,
        name: incident.name,
        dueAt,
        at: this.clock.now(),
      };
      this.onReminder.emit(reminder);
      if (dueChannel.hasSubscribers) dueChannel.publish(reminder);
      if (this.#cadenceWebhook !== undefined) this.#post(this.#cadenceWebhook, { ...reminder });
    };
    const cancels: Cancel[] = [];
    const dueSoonAt = dueAt - this.cadence.dueSoonMs;
    if (dueSoonAt > now) cancels.push(this.clock.setTimer(remind('update_due'), dueSoonAt - now, { unref: true }));
    cancels.push(this.clock.setTimer(remind('update_overdue'), Math.max(0, dueAt - now), { unref: true }));
    this.#timers.set(incident.id, cancels);
  }

  // ---- notifications ----

  #announce(incident: Incident, kind: 'opened' | 'updated'): void {
    if (incidentChannel.hasSubscribers) incidentChannel.publish({ incident, kind });
    const job = (async () => {
      const [subscribers, state] = await Promise.all([this.store.listSubscribers(), this.state()]);
      if (subscribers.length === 0) return;
      const payload = incidentWebhook(incident, state);
      for (const s of subscribers) this.#post(s.url, payload);
    })().catch(() => {
      this.deliveries.failed++;
    });
    this.#track(job);
  }

  #post(url: string, payload: unknown): void {
    const controller = new AbortController();
    const request = this.#fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'failsmall-status' },
      body: JSON.stringify(payload),
      signal: controller.signal,
    }).then(async (res) => {
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    });
    const job = raceTimer(request, this.#webhookTimeout, this.clock).then((raced) => {
      if (raced.kind === 'done') this.deliveries.sent++;
      else {
        if (raced.kind === 'timer') controller.abort();
        this.deliveries.failed++;
      }
    });
    this.#track(job);
  }

  #track(job: Promise<unknown>): void {
    this.#inflight.add(job);
    void job.finally(() => this.#inflight.delete(job));
  }

  /** Resolves when every notification started so far has been delivered or has failed. */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Cancels the reminders and waits for notifications in flight. Does not close the store. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const cancels of this.#timers.values()) for (const cancel of cancels) cancel();
    this.#timers.clear();
    await this.settled();
  }
}
