/**
 * What a report does to the store, inside the store's one write transaction (store.ts wires it):
 * call counts accumulate on the edge service → dependency; a breaker that opens starts a failure
 * interval and one that closes ends it; breaker opens, guard engagements and health escalations
 * become suggested incidents. Signals about the same thing fold into one suggestion while it is
 * open (or while the incident published from it is), so a flapping breaker is one suggestion with a
 * count, not a hundred.
 *
 * Which components a signal affects: those it names (each must exist,
 * `FS_ERR_STATUS_UNKNOWN_COMPONENT` otherwise), else the status component the catalog ties to its
 * subject and to the reporting service (annotation `failsmall.dev/status-component`), else a
 * component whose id is the subject's name.
 */
import { FailsmallError } from '../core/errors.js';
import type { Doc, DocumentTx } from './backend.js';
import { StatusErrorCodes } from './error-codes.js';
import type { FieldError } from './input.js';
import type {
  Catalog,
  CatalogEntity,
  DependencyEdge,
  FailureInterval,
  Incident,
  ReportInput,
  Signal,
  Suggestion,
  SuggestionKind,
} from './model.js';
import { noCalls } from './model.js';
import { suggestionWords } from './suggestion-words.js';

/** What recording a report did. */
export interface ReportResult {
  /** Signals and call records taken. */
  readonly signals: number;
  readonly calls: number;
  /** Suggestions created or folded into, after the report. */
  readonly suggestions: readonly Suggestion[];
}

const toDoc = (v: object): Doc => v as unknown as Doc;
const edgeId = (service: string, dependency: string): string => `${service}>${dependency}`;

/** The latest entity of each name across every stored catalog (the newest catalog wins). */
export function entitiesByName(catalogs: readonly Catalog[]): Map<string, CatalogEntity> {
  const byName = new Map<string, CatalogEntity>();
  for (const c of [...catalogs].sort((a, b) => a.updatedAt - b.updatedAt))
    for (const e of c.entities) byName.set(e.name, e);
  return byName;
}

async function existing(tx: DocumentTx, ids: readonly (string | null | undefined)[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    if (id === null || id === undefined || out.includes(id)) continue;
    if ((await tx.get('component', id)) !== undefined) out.push(id);
  }
  return out;
}

/** Refuses a report whose signals name components that do not exist (nothing is recorded). */
async function checkComponents(tx: DocumentTx, signals: readonly Signal[]): Promise<void> {
  const errors: FieldError[] = [];
  for (const [i, s] of signals.entries()) {
    for (const [j, id] of (s.components ?? []).entries()) {
      if ((await tx.get('component', id)) === undefined)
        errors.push({ field: `signals[${i}].components[${j}]`, message: `no component ${JSON.stringify(id)}` });
    }
  }
  if (errors.length > 0) {
    throw new FailsmallError(
      StatusErrorCodes.UNKNOWN_COMPONENT,
      `Unknown component: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      { details: { errors } },
    );
  }
}

function emptyEdge(service: string, dependency: string, region: string | null, at: number): DependencyEdge {
  return {
    service,
    dependency,
    region,
    ...noCalls(),
    recent: { calls: 0, errors: 0, rejected: 0, at },
    firstAt: at,
    lastAt: at,
    breaker: null,
    guard: null,
  };
}

/**
 * Records a validated report at service time `at` inside `tx`. `newId` makes document ids.
 */
export async function recordReportIn(
  tx: DocumentTx,
  input: ReportInput,
  at: number,
  newId: () => string,
): Promise<ReportResult> {
  const signals = input.signals ?? [];
  const calls = input.calls ?? [];
  await checkComponents(tx, signals);
  const region = input.region ?? null;
  const { service } = input;
  const edges = new Map<string, DependencyEdge>();
  const edgeOf = async (dependency: string): Promise<DependencyEdge> => {
    const id = edgeId(service, dependency);
    let edge = edges.get(id);
    if (edge === undefined) {
      const doc = await tx.get('edge', id);
      edge = doc === undefined ? emptyEdge(service, dependency, region, at) : (doc as unknown as DependencyEdge);
      edges.set(id, edge);
    }
    return edge;
  };
  const setEdge = (edge: DependencyEdge): void => void edges.set(edgeId(edge.service, edge.dependency), edge);

  for (const c of calls) {
    const e = await edgeOf(c.dependency);
    setEdge({
      ...e,
      region: region ?? e.region,
      calls: e.calls + c.calls,
      errors: e.errors + c.errors,
      rejected: e.rejected + c.rejected,
      latencyMsSum: e.latencyMsSum + c.latencyMsSum,
      latencyMsMax: Math.max(e.latencyMsMax, c.latencyMsMax),
      latencyBuckets: e.latencyBuckets.map((n, i) => n + (c.latencyBuckets[i] ?? 0)),
      recent: { calls: c.calls, errors: c.errors, rejected: c.rejected, at },
      lastAt: at,
    });
  }

  const catalog = entitiesByName((await tx.list('catalog')) as unknown as Catalog[]);
  const suggestions = ((await tx.list('suggestion')) as unknown as Suggestion[]).slice();
  const failures = (await tx.list('failure')) as unknown as FailureInterval[];
  const touched = new Map<string, Suggestion>();
  const save = (s: Suggestion): void => {
    const i = suggestions.findIndex((x) => x.id === s.id);
    if (i >= 0) suggestions[i] = s;
    else suggestions.push(s);
    touched.set(s.id, s);
  };

  const suggest = async (
    kind: SuggestionKind,
    subject: string,
    signal: Signal,
    reason: string | undefined,
    targets?: readonly string[],
  ): Promise<void> => {
    const key = `${kind}|${service}|${subject}`;
    const reasons = (s: Suggestion): string[] =>
      reason === undefined || reason === '' ? [...s.reasons] : [...s.reasons, reason].slice(-5);
    for (const s of suggestions) {
      if (s.key !== key || s.status === 'dismissed') continue;
      const open =
        s.status === 'suggested' ||
        (s.incidentId !== null &&
          ((await tx.get('incident', s.incidentId)) as unknown as Incident | undefined)?.status !== 'resolved');
      if (!open || (s.status === 'published' && s.incidentId === null)) continue;
      save({ ...s, count: s.count + 1, lastAt: at, clearedAt: null, reasons: reasons(s) });
      return;
    }
    const entity = catalog.get(subject);
    const components =
      signal.components !== undefined && signal.components.length > 0
        ? [...new Set(signal.components)]
        : await existing(tx, [entity?.statusComponent, catalog.get(service)?.statusComponent, subject]);
    const words = suggestionWords({
      kind,
      subject,
      title: entity?.title ?? null,
      service,
      at,
      ...(reason === undefined ? {} : { reason }),
      ...(targets === undefined ? {} : { targets }),
    });
    save({
      id: newId(),
      key,
      kind,
      service,
      region,
      subject,
      componentIds: components,
      status: 'suggested',
      ...words,
      count: 1,
      reasons: reason === undefined || reason === '' ? [] : [reason],
      firstAt: at,
      lastAt: at,
      clearedAt: null,
      incidentId: null,
      decidedAt: null,
      decidedBy: null,
    });
  };
  const cleared = (kind: SuggestionKind, subject: string): void => {
    const key = `${kind}|${service}|${subject}`;
    for (const s of suggestions)
      if (s.key === key && s.status === 'suggested' && s.clearedAt === null) save({ ...s, clearedAt: at });
  };

  for (const signal of signals) {
    switch (signal.kind) {
      case 'breaker': {
        const e = await edgeOf(signal.dependency);
        setEdge({ ...e, breaker: signal.to, lastAt: at });
        const open = failures.find(
          (f) =>
            f.source === 'breaker' && f.endedAt === null && f.service === service && f.dependency === signal.dependency,
        );
        if (signal.to === 'open' || signal.to === 'isolated') {
          if (open === undefined) {
            const interval: FailureInterval = {
              id: newId(),
              service,
              dependency: signal.dependency,
              source: 'breaker',
              startedAt: signal.at,
              endedAt: null,
            };
            failures.push(interval);
            await tx.put('failure', interval.id, toDoc(interval));
          }
          if (signal.to === 'open') await suggest('breaker-open', signal.dependency, signal, signal.reason);
        } else if (signal.to === 'closed') {
          if (open !== undefined) {
            const ended: FailureInterval = { ...open, endedAt: Math.max(open.startedAt, signal.at) };
            failures.splice(failures.indexOf(open), 1, ended);
            await tx.put('failure', open.id, toDoc(ended));
          }
          cleared('breaker-open', signal.dependency);
        }
        break;
      }
      case 'dns-guard': {
        const subject = signal.dependency ?? signal.hostname;
        if (signal.dependency !== undefined) {
          const e = await edgeOf(signal.dependency);
          setEdge({ ...e, guard: signal.event, lastAt: at });
        }
        const reason = signal.reason === undefined ? signal.hostname : `${signal.hostname}: ${signal.reason}`;
        if (signal.event === 'engaged') await suggest('dns-guard', subject, signal, reason);
        else cleared('dns-guard', subject);
        break;
      }
      case 'health-escalation':
        await suggest('health-escalation', signal.set, signal, signal.reason, signal.targets);
        break;
    }
  }

  for (const [id, edge] of edges) await tx.put('edge', id, toDoc(edge));
  for (const s of touched.values()) await tx.put('suggestion', s.id, toDoc(s));
  return { signals: signals.length, calls: calls.length, suggestions: [...touched.values()] };
}
