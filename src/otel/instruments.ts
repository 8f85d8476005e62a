/**
 * The catalogue of every OpenTelemetry instrument failsmall creates: name, type, unit, attributes
 * and, for histograms, the explicit bucket boundaries handed to the SDK through the advice API. One
 * list, read by {@link enableMetrics} to create the instruments and checked against the table of
 * docs/otel.md by a test, so the documentation cannot drift from what is exported.
 *
 * Names follow the OpenTelemetry semantic-convention style: a `failsmall.` namespace, dot-separated
 * lower-case words, UCUM units (`s` for durations, `{thing}` for counts), attributes namespaced the
 * same way except the shared semantic-convention ones (`error.type`, `dns.question.name`).
 */

/** The kind of instrument, as the OpenTelemetry metrics API names it. */
export type InstrumentType =
  'Counter' | 'Histogram' | 'ObservableGauge' | 'ObservableCounter' | 'ObservableUpDownCounter';

/** One instrument of the catalogue. */
export interface InstrumentSpec {
  readonly name: string;
  readonly type: InstrumentType;
  /** A UCUM unit: `s`, or a count annotation such as `{retry}`. */
  readonly unit: string;
  readonly description: string;
  /** Every attribute a data point of this instrument may carry. */
  readonly attributes: readonly string[];
  /** Explicit bucket boundaries (histograms only), in the instrument's unit. */
  readonly boundaries?: readonly number[];
}

/** Seconds: a call or a wait, from 1 ms to 30 s. */
const CALL_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: a DNS resolution, from 0.5 ms (a cache hit that waited a turn) to 5 s (a resolver timeout). */
const DNS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Attempts per call: the AWS SDK's 3, the usual 5, and what a storm looks like. */
const ATTEMPTS = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20];

const DEP = 'failsmall.dependency';

/** Every instrument, in the order of docs/otel.md. */
export const INSTRUMENTS = [
  // ---- breaker ----
  {
    name: 'failsmall.breaker.state',
    type: 'ObservableGauge',
    unit: '{state}',
    description: 'One series per breaker and state: 1 for the state the breaker is in, 0 for the others.',
    attributes: [DEP, 'failsmall.breaker.state'],
  },
  {
    name: 'failsmall.breaker.transitions',
    type: 'Counter',
    unit: '{transition}',
    description: 'State changes of breakers, by new and previous state and reason.',
    attributes: [DEP, 'failsmall.breaker.state', 'failsmall.breaker.previous_state', 'failsmall.breaker.reason'],
  },
  // ---- retry and budgets ----
  {
    name: 'failsmall.retry.retries',
    type: 'Counter',
    unit: '{retry}',
    description: 'Retries made (each after its backoff), by the cause of the retry.',
    attributes: [DEP, 'failsmall.retry.cause'],
  },
  {
    name: 'failsmall.retry.delay',
    type: 'Histogram',
    unit: 's',
    description: 'The backoff slept before each retry.',
    attributes: [DEP, 'failsmall.retry.cause'],
    boundaries: CALL_SECONDS,
  },
  {
    name: 'failsmall.retry.calls',
    type: 'Counter',
    unit: '{call}',
    description: 'Calls a retry policy finished: succeeded, or given up with the reason.',
    attributes: [DEP, 'failsmall.retry.outcome', 'failsmall.retry.reason'],
  },
  {
    name: 'failsmall.retry.attempts',
    type: 'Histogram',
    unit: '{attempt}',
    description: 'Attempts made per finished call (1 = no retry).',
    attributes: [DEP, 'failsmall.retry.outcome'],
    boundaries: ATTEMPTS,
  },
  {
    name: 'failsmall.budget.tokens',
    type: 'ObservableGauge',
    unit: '{token}',
    description: 'Tokens left in a token-bucket or gRPC retry budget.',
    attributes: [DEP, 'failsmall.budget.kind'],
  },
  {
    name: 'failsmall.budget.decisions',
    type: 'ObservableCounter',
    unit: '{retry}',
    description: 'Retries (and hedges) a retry budget granted or denied since it was built.',
    attributes: [DEP, 'failsmall.budget.kind', 'failsmall.budget.outcome'],
  },
  // ---- other policies ----
  {
    name: 'failsmall.hedge.hedges',
    type: 'Counter',
    unit: '{hedge}',
    description: 'Hedged attempts started, by what triggered them.',
    attributes: [DEP, 'failsmall.hedge.trigger'],
  },
  {
    name: 'failsmall.dependency.call.duration',
    type: 'Histogram',
    unit: 's',
    description:
      'Every call through an observe() policy (each attempt of a dependency()), by outcome: ok, error, or rejected before it was sent.',
    attributes: [DEP, 'failsmall.call.outcome', 'error.type'],
    boundaries: CALL_SECONDS,
  },
  {
    name: 'failsmall.hedge.duration',
    type: 'Histogram',
    unit: 's',
    description: 'Latency of hedged calls, from the first attempt to the winner.',
    attributes: [DEP, 'failsmall.hedge.outcome'],
    boundaries: CALL_SECONDS,
  },
  {
    name: 'failsmall.timeout.timeouts',
    type: 'Counter',
    unit: '{timeout}',
    description: 'Calls that ran out of time, by the source of the limit.',
    attributes: [DEP, 'failsmall.timeout.source'],
  },
  {
    name: 'failsmall.fallback.substitutions',
    type: 'Counter',
    unit: '{call}',
    description: 'Calls answered by a fallback in place of the failed call.',
    attributes: [DEP],
  },
  {
    name: 'failsmall.policy.rejections',
    type: 'Counter',
    unit: '{call}',
    description: 'Calls turned away without running by a bulkhead, limiter, adaptive throttle or rate limiter.',
    attributes: [DEP, 'failsmall.policy.kind'],
  },
  // ---- dns ----
  {
    name: 'failsmall.dns.answers',
    type: 'Counter',
    unit: '{answer}',
    description: 'Resolutions answered, by where the answer came from.',
    attributes: ['dns.question.name', 'failsmall.dns.source'],
  },
  {
    name: 'failsmall.dns.errors',
    type: 'Counter',
    unit: '{query}',
    description: 'Resolutions that failed (negative answer, or every upstream failed), by error code.',
    attributes: ['dns.question.name', 'error.type'],
  },
  {
    name: 'failsmall.dns.resolution.duration',
    type: 'Histogram',
    unit: 's',
    description: 'Time to answer a resolution (0 for a synchronous cache hit of `lookup`).',
    attributes: ['failsmall.dns.source', 'error.type'],
    boundaries: DNS_SECONDS,
  },
  {
    name: 'failsmall.dns.guard.engagements',
    type: 'Counter',
    unit: '{engagement}',
    description: 'Times the last-known-good guard kept the previous addresses instead of an answer.',
    attributes: ['dns.question.name', 'failsmall.dns.guard.reason'],
  },
  {
    name: 'failsmall.dns.guard.releases',
    type: 'Counter',
    unit: '{release}',
    description: 'Times the guard let go of a held set.',
    attributes: ['dns.question.name', 'failsmall.dns.guard.reason'],
  },
  {
    name: 'failsmall.dns.cache.entries',
    type: 'ObservableUpDownCounter',
    unit: '{entry}',
    description: 'Cached (name, family) entries of an observed resolver.',
    attributes: ['failsmall.dns.resolver'],
  },
  {
    name: 'failsmall.dns.guard.engaged',
    type: 'ObservableUpDownCounter',
    unit: '{name}',
    description: 'Names whose guard holds a last-known-good set now, per observed resolver.',
    attributes: ['failsmall.dns.resolver'],
  },
  // ---- client ----
  {
    name: 'failsmall.client.connections',
    type: 'Counter',
    unit: '{connection}',
    description: 'Connections attempted by the connector: established, or failed on every address.',
    attributes: [DEP, 'failsmall.client.outcome', 'error.type'],
  },
  {
    name: 'failsmall.client.connect.duration',
    type: 'Histogram',
    unit: 's',
    description: 'Time to connect, every address tried included.',
    attributes: [DEP, 'failsmall.client.outcome'],
    boundaries: CALL_SECONDS,
  },
  {
    name: 'failsmall.client.region.switches',
    type: 'Counter',
    unit: '{switch}',
    description: 'Failovers and failbacks of a region set, by direction, region switched to and reason.',
    attributes: [DEP, 'failsmall.client.direction', 'failsmall.client.region', 'failsmall.client.reason'],
  },
  {
    name: 'failsmall.client.feature.changes',
    type: 'Counter',
    unit: '{change}',
    description: 'State changes of degradable features, by feature and new state.',
    attributes: [DEP, 'failsmall.client.feature', 'failsmall.client.feature.state'],
  },
  // ---- admit ----
  {
    name: 'failsmall.admit.decisions',
    type: 'Counter',
    unit: '{decision}',
    description: 'Admission decisions: work admitted or shed, by criticality and shed reason.',
    attributes: [
      'failsmall.admit.name',
      'failsmall.admit.outcome',
      'failsmall.admit.criticality',
      'failsmall.admit.reason',
    ],
  },
  {
    name: 'failsmall.admit.queue.duration',
    type: 'Histogram',
    unit: 's',
    description: 'Time admitted work waited for its slot (0 when admitted at once).',
    attributes: ['failsmall.admit.name', 'failsmall.admit.criticality'],
    boundaries: CALL_SECONDS,
  },
  {
    name: 'failsmall.admit.overload.changes',
    type: 'Counter',
    unit: '{change}',
    description: 'The event-loop overload signal switching on or off, by the measure that decided.',
    attributes: ['failsmall.admit.overloaded', 'failsmall.admit.cause'],
  },
  {
    name: 'failsmall.admit.limit',
    type: 'ObservableGauge',
    unit: '{request}',
    description: 'The concurrency limit in force (after slow start) of an observed admission gate.',
    attributes: ['failsmall.admit.name'],
  },
  {
    name: 'failsmall.admit.inflight',
    type: 'ObservableUpDownCounter',
    unit: '{request}',
    description: 'Work in flight through an observed admission gate.',
    attributes: ['failsmall.admit.name'],
  },
  {
    name: 'failsmall.admit.queued',
    type: 'ObservableUpDownCounter',
    unit: '{request}',
    description: 'Work waiting in the queue of an observed admission gate.',
    attributes: ['failsmall.admit.name'],
  },
  // ---- health ----
  {
    name: 'failsmall.health.decisions',
    type: 'Counter',
    unit: '{decision}',
    description: 'Per-target votes of each health round, by verdict and reason.',
    attributes: ['failsmall.health.set', 'failsmall.health.verdict', 'failsmall.health.reason'],
  },
  {
    name: 'failsmall.health.changes',
    type: 'Counter',
    unit: '{change}',
    description: 'Targets removed from or added to a health set.',
    attributes: ['failsmall.health.set', 'failsmall.health.change'],
  },
  {
    name: 'failsmall.health.escalations',
    type: 'Counter',
    unit: '{escalation}',
    description: 'Things a human should decide, by reason (a guardrail held, the sources disagree, …).',
    attributes: ['failsmall.health.set', 'failsmall.health.reason'],
  },
  {
    name: 'failsmall.health.targets',
    type: 'ObservableUpDownCounter',
    unit: '{target}',
    description: 'Targets of an observed health monitor, in the set or out of it.',
    attributes: ['failsmall.health.set', 'failsmall.health.membership'],
  },
  // ---- plan ----
  {
    name: 'failsmall.plan.decisions',
    type: 'Counter',
    unit: '{decision}',
    description: 'Journal entries of the plan enactors, by target and decision.',
    attributes: ['failsmall.plan.target', 'failsmall.plan.decision'],
  },
  {
    name: 'failsmall.plan.escalations',
    type: 'Counter',
    unit: '{escalation}',
    description: 'Plans an enactor refused to apply on its own and handed to a human.',
    attributes: ['failsmall.plan.target', 'failsmall.plan.reason'],
  },
  // ---- chaos ----
  {
    name: 'failsmall.chaos.faults',
    type: 'Counter',
    unit: '{query}',
    description: 'Queries of the fault DNS server that a fault rule decided, by rule and action.',
    attributes: ['failsmall.chaos.rule', 'failsmall.chaos.action'],
  },
  // ---- status ----
  {
    name: 'failsmall.status.reminders',
    type: 'Counter',
    unit: '{reminder}',
    description: 'Incident updates that came due or overdue on the status service.',
    attributes: ['failsmall.status.reminder'],
  },
] as const satisfies readonly InstrumentSpec[];

/** The name of an instrument of the catalogue. */
export type InstrumentName = (typeof INSTRUMENTS)[number]['name'];
