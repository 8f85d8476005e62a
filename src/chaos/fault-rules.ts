/**
 * Fault rules of the fault DNS server: which queries to lie to, and how. The decisions are pure
 * functions of (rules, query, now, random): {@link ruleMatches} and {@link decideFault}. The
 * {@link FaultEngine} is the thin stateful shell that holds the rules, numbers them, counts firings
 * and logs every change.
 *
 * A rule matches a query by name pattern (see `matchName`: exact, `*`, `?`, case-insensitive), by
 * type (any by default), optionally by transport, while its time window is open (`from` ≤ now <
 * `until` on the server's clock). Rules are tried in the order they were added; the first that
 * matches *and* fires (a draw below its `probability`) decides the answer; the others are not tried.
 *
 * Actions: `empty` (NOERROR, no answer: the lie of 2025-10-20), `nxdomain`, `servfail`, `refused`,
 * `drop` (no reply), `delay` (the true answer, late), `truncate` (TC over UDP so the client retries
 * over TCP; TCP is answered normally), `random-address` and `wrong-address` (A/AAAA only), `ttl` (the
 * true answer with every TTL replaced). Any rule may also carry `delayMs`/`jitterMs`: a slow SERVFAIL
 * is `{ action: 'servfail', delayMs: 2000 }`.
 *
 * @see https://chaos-mesh.org/docs/simulate-dns-chaos-on-kubernetes/ (DNSChaos: error, random only)
 */
import { isIPv4, isIPv6 } from 'node:net';
import type * as Zod from 'zod';
import { lazyPeer } from '../core/optional-peer.js';
import type { Clock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import type { Random } from '../core/random.js';
import { isExactPattern, matchName, normalizePattern } from './name-pattern.js';
import { parseOrThrow, recordTypes } from './zone-schema.js';

/** Every fault action. */
export const faultActions = [
  'empty',
  'nxdomain',
  'servfail',
  'refused',
  'drop',
  'delay',
  'truncate',
  'random-address',
  'wrong-address',
  'ttl',
] as const;

/** One of {@link faultActions}. */
export type FaultAction = (typeof faultActions)[number];

/** Query types a rule can name: the served record types and `ANY` (matches every type). */
export const faultTypes = [...recordTypes, 'ANY'] as const;

/**
 * The fields every timed fault rule takes (DNS and HTTP alike): its chance, its window on the clock
 * of the server that holds it, its delay and a comment.
 */
export interface TimedFaultInput {
  /** The chance that a matching query or request gets the fault, 0..1; default 1. */
  readonly probability?: number;
  /** Open from this time on the server's clock, in ms; default at once. */
  readonly from?: number;
  /** Closed from this time on the server's clock, in ms; default never. */
  readonly until?: number;
  /** Open this long after `from` (or after it is added), in ms; an alternative to `until`. */
  readonly durationMs?: number;
  /** Delay before the answer, in ms; required by a `delay` rule, optional for every other action. Default 0. */
  readonly delayMs?: number;
  /** Extra random delay, uniform in [0, jitterMs), in ms; default 0. */
  readonly jitterMs?: number;
  /** Free text for the audit log. */
  readonly comment?: string;
}

/** A timed fault rule's shared fields, validated and normalised (see {@link timedFault}). */
export interface TimedFault {
  readonly probability: number;
  /** Window start on the server's clock, in ms (-Infinity: always open). */
  readonly from: number;
  /** Window end on the server's clock, in ms (Infinity: never closes). */
  readonly until: number;
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly comment: string | undefined;
}

/** A fault rule as added through the API or {@link FaultEngine.add}. */
export interface FaultRuleInput extends TimedFaultInput {
  /** An id of your choosing (letters, digits, `-`, `_`; at most 64); default `f1`, `f2`, … */
  readonly id?: string;
  /** The name pattern: exact, `*` (any run of characters), `?` (one character); case-insensitive. */
  readonly name: string;
  /** The query types it applies to (one or a list); default every type. `ANY` means every type. */
  readonly type?: string | readonly string[];
  /** Only queries over this transport; default both. */
  readonly transport?: 'udp' | 'tcp';
  readonly action: FaultAction;
  /** `wrong-address`: the address served (IPv4 answers A queries, IPv6 answers AAAA). */
  readonly address?: string;
  /**
   * `random-address`: the range drawn from, as CIDR; default `127.0.0.0/8` for A (a wrong address
   * that never leaves the machine) and `100::/64` for AAAA (the discard-only prefix, RFC 6666).
   */
  readonly cidr?: string;
  /** `ttl`: the TTL of every record, in s (required); others: the TTL of forged records, default 60 s. */
  readonly ttl?: number;
}

/** A rule as the engine holds it: validated and normalised, with its id and firing count. */
export interface FaultRule extends TimedFault {
  readonly id: string;
  /** The normalised pattern. */
  readonly name: string;
  /** The types it applies to; empty means every type. */
  readonly types: readonly string[];
  readonly transport: 'udp' | 'tcp' | undefined;
  readonly action: FaultAction;
  readonly address: string | undefined;
  readonly cidr: string | undefined;
  readonly ttl: number | undefined;
  /** When it was added, on the server's clock, in ms. */
  readonly createdAt: number;
}

/** The parts of a query a rule looks at. `name` normalised (lower-case, no trailing dot). */
export interface FaultQuery {
  readonly name: string;
  readonly type: string;
  readonly transport: 'udp' | 'tcp';
}

/** The id of a rule: 1-64 letters, digits, `-` or `_` (DNS and HTTP rules alike). */
export const faultIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The zod fields of {@link TimedFaultInput} (and an optional `id` of {@link faultIdPattern}), for the
 * schema of a timed fault rule; its `superRefine` calls {@link checkWindowFields}. Shared by the
 * proxy's HTTP fault rules.
 */
export function timedFaultFields({ z }: typeof Zod) {
  const ms = (what: string) =>
    z
      .number({ error: `expected ${what} in milliseconds (a number)` })
      .refine(Number.isFinite, `expected a finite ${what}`);
  const upTo10Min = (what: string) =>
    ms(what)
      .pipe(z.number().min(0, `expected a ${what} >= 0`).max(600_000, `expected a ${what} <= 600000 (10 min)`))
      .optional();
  return {
    id: z.string().regex(faultIdPattern, 'expected 1-64 letters, digits, "-" or "_"').optional(),
    probability: z
      .number({ error: 'expected a probability (a number 0..1)' })
      .min(0, 'expected a probability >= 0')
      .max(1, 'expected a probability <= 1')
      .optional(),
    from: ms('time').optional(),
    until: ms('time').optional(),
    durationMs: ms('duration').pipe(z.number().min(0, 'expected a duration >= 0')).optional(),
    delayMs: upTo10Min('delay'),
    jitterMs: upTo10Min('jitter'),
    comment: z.string().max(1024, 'expected at most 1024 characters').optional(),
  };
}

/**
 * The zod schema of {@link FaultRuleInput}, built on first use (zod is an optional peer, loaded
 * then; `FS_ERR_MISSING_PEER` names it when it is not installed).
 *
 * @example
 * faultRuleSchema().safeParse({ name: 'dynamodb.*', action: 'empty' }).success; // true
 */
export const faultRuleSchema = lazyPeer('zod', 'fault-rule validation in failsmall/chaos', (zod: typeof Zod) => {
  const { z } = zod;
  return z
    .strictObject({
      ...timedFaultFields(zod),
      name: z
        .string({ error: 'expected a name pattern (a string)' })
        .min(1, 'expected a non-empty name pattern')
        .max(255, 'expected at most 255 characters'),
      type: z
        .union([z.string(), z.array(z.string()).min(1, 'expected at least one type')], {
          error: 'expected a type or a list of types',
        })
        .optional(),
      transport: z.enum(['udp', 'tcp'], { error: 'expected "udp" or "tcp"' }).optional(),
      action: z.enum(faultActions, {
        error: (issue) => `expected one of ${faultActions.join(', ')}, got ${JSON.stringify(issue.input)}`,
      }),
      address: z.string().optional(),
      cidr: z.string().optional(),
      ttl: z
        .number({ error: 'expected a TTL in seconds' })
        .int('expected an integer TTL')
        .min(0, 'expected a TTL >= 0')
        .max(2_147_483_647, 'expected a TTL <= 2147483647')
        .optional(),
    })
    .superRefine(refineFaultRule);
});

/** The rules across fields of a DNS fault rule (types, the action's own fields, the window). */
function refineFaultRule(
  rule: {
    readonly type?: string | string[] | undefined;
    readonly action: FaultAction;
    readonly delayMs?: number | undefined;
    readonly jitterMs?: number | undefined;
    readonly address?: string | undefined;
    readonly cidr?: string | undefined;
    readonly ttl?: number | undefined;
  } & WindowInput,
  ctx: IssueSink,
): void {
  const types = rule.type === undefined ? [] : typeof rule.type === 'string' ? [rule.type] : rule.type;
  types.forEach((t, i) => {
    if (!(faultTypes as readonly string[]).includes(t.toUpperCase())) {
      ctx.addIssue({
        code: 'custom',
        message: `expected one of ${faultTypes.join(', ')}, got ${JSON.stringify(t)}`,
        path: typeof rule.type === 'string' ? ['type'] : ['type', i],
      });
    }
  });
  if (rule.action === 'delay' && rule.delayMs === undefined && rule.jitterMs === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'a delay rule needs delayMs (and optionally jitterMs)',
      path: ['delayMs'],
    });
  }
  if (rule.action === 'wrong-address') {
    if (rule.address === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a wrong-address rule needs an address', path: ['address'] });
    } else if (!isIPv4(rule.address) && !isIPv6(rule.address)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected an IP address, got ${JSON.stringify(rule.address)}`,
        path: ['address'],
      });
    }
  } else if (rule.address !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'only a wrong-address rule takes an address', path: ['address'] });
  }
  if (rule.cidr !== undefined) {
    if (rule.action !== 'random-address') {
      ctx.addIssue({ code: 'custom', message: 'only a random-address rule takes a cidr', path: ['cidr'] });
    } else if (parseCidr(rule.cidr) === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a CIDR range such as 10.0.0.0/8, got ${JSON.stringify(rule.cidr)}`,
        path: ['cidr'],
      });
    }
  }
  if (rule.action === 'ttl' && rule.ttl === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a ttl rule needs ttl (seconds)', path: ['ttl'] });
  }
  checkWindowFields(rule, ctx);
}

/** Where a schema refinement reports a problem (the part of zod's refinement context used here). */
export interface IssueSink {
  addIssue(issue: { code: 'custom'; message: string; path: (string | number)[] }): void;
}

/** The window fields of a {@link TimedFaultInput}. */
export type WindowInput = {
  readonly from?: number | undefined;
  readonly until?: number | undefined;
  readonly durationMs?: number | undefined;
};

/**
 * The checks every timed fault rule shares (DNS and HTTP alike): `until` or `durationMs`, not both,
 * and `until` not before `from`. Called from a schema's `superRefine`.
 */
export function checkWindowFields(rule: WindowInput, ctx: IssueSink): void {
  if (rule.until !== undefined && rule.durationMs !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'give until or durationMs, not both', path: ['durationMs'] });
  }
  if (rule.from !== undefined && rule.until !== undefined && rule.until < rule.from) {
    ctx.addIssue({ code: 'custom', message: 'expected until >= from', path: ['until'] });
  }
}

/**
 * Validates a rule input and normalises it into a {@link FaultRule}. Pure: `now` fixes a relative
 * window (`durationMs`) and `createdAt`. Throws `FS_ERR_CHAOS_INVALID_FAULT` naming the field.
 *
 * @example
 * parseFaultRule({ name: 'sts.*', action: 'delay', delayMs: 2000, durationMs: 60_000 }, 'f1', clock.now());
 */
export function parseFaultRule(input: unknown, id: string, now: number): FaultRule {
  const r = parseOrThrow(faultRuleSchema(), input, 'FS_ERR_CHAOS_INVALID_FAULT');
  const rawTypes = r.type === undefined ? [] : typeof r.type === 'string' ? [r.type] : r.type;
  const types = rawTypes.map((t) => t.toUpperCase());
  return {
    id: r.id ?? id,
    name: normalizePattern(r.name),
    types: types.includes('ANY') ? [] : [...new Set(types)],
    transport: r.transport,
    action: r.action,
    ...timedFault(r, now),
    address: r.address,
    cidr: r.cidr,
    ttl: r.ttl,
    createdAt: now,
  };
}

/**
 * The shared fields of a validated rule input, normalised: `probability` 1, `delayMs` and `jitterMs`
 * 0 by default, and the window of {@link faultWindow} (`now` fixes a relative one). Pure.
 */
export function timedFault(
  input: { readonly [K in keyof TimedFaultInput]?: TimedFaultInput[K] | undefined },
  now: number,
): TimedFault {
  return {
    probability: input.probability ?? 1,
    ...faultWindow(input, now),
    delayMs: input.delayMs ?? 0,
    jitterMs: input.jitterMs ?? 0,
    comment: input.comment,
  };
}

/**
 * The window `[from, until)` of a rule input, in ms on the server's clock: `from` defaults to -∞;
 * `until` to `from` (or `now` when `from` is absent) + `durationMs`, or +∞. Pure.
 */
export function faultWindow(input: WindowInput, now: number): { from: number; until: number } {
  const start = input.from ?? now;
  return {
    from: input.from ?? -Infinity,
    until: input.until ?? (input.durationMs !== undefined ? start + input.durationMs : Infinity),
  };
}

/** A fault rule as JSON: open window ends are `null`. */
export type FaultRuleJson<T extends TimedFault = FaultRule> = Omit<T, 'from' | 'until'> & {
  from: number | null;
  until: number | null;
};

/** A rule (DNS or HTTP) with infinite window ends written as `null` (JSON has no Infinity). */
export function faultRuleToJson<T extends TimedFault>(rule: T): FaultRuleJson<T> {
  return {
    ...rule,
    from: Number.isFinite(rule.from) ? rule.from : null,
    until: Number.isFinite(rule.until) ? rule.until : null,
  };
}

/** True when a rule with this `probability` fires: 1 without a draw, 0 never, else `random.next() < p`. */
export function fires(probability: number, random: Random): boolean {
  return probability >= 1 || (probability > 0 && random.next() < probability);
}

/** True when the rule's time window is open at `now`. */
export function ruleActive(rule: Pick<FaultRule, 'from' | 'until'>, now: number): boolean {
  return now >= rule.from && now < rule.until;
}

/**
 * True when the rule applies to the query at `now` (window, name, type, transport, and an action that
 * can answer this type: address actions only answer A/AAAA of their family). Pure; draws nothing.
 */
export function ruleMatches(rule: FaultRule, query: FaultQuery, now: number): boolean {
  if (!ruleActive(rule, now)) return false;
  if (rule.transport !== undefined && rule.transport !== query.transport) return false;
  if (rule.types.length > 0 && !rule.types.includes(query.type)) return false;
  if (rule.action === 'random-address') {
    if (query.type !== 'A' && query.type !== 'AAAA') return false;
    if (rule.cidr !== undefined && parseCidr(rule.cidr)!.family !== (query.type === 'A' ? 4 : 6)) return false;
  }
  if (rule.action === 'wrong-address' && query.type !== (isIPv4(rule.address!) ? 'A' : 'AAAA')) return false;
  return matchName(rule.name, query.name);
}

/**
 * The rule that decides this query's fate, or undefined for the true answer: the first rule (in order)
 * that matches and fires. A rule with probability 1 fires without a draw; one with probability p in
 * (0, 1) fires when `random.next() < p`; 0 never fires. Pure given `random`.
 *
 * @example
 * const rules = [parseFaultRule({ name: 'dynamodb.*', type: 'A', action: 'empty', probability: 0.5 }, 'f1', 0)];
 * decideFault(rules, { name: 'dynamodb.us-east-1.amazonaws.com', type: 'A', transport: 'udp' }, 0, seededRandom(1));
 */
export function decideFault(
  rules: readonly FaultRule[],
  query: FaultQuery,
  now: number,
  random: Random,
): FaultRule | undefined {
  return firstFiring(rules, (rule) => ruleMatches(rule, query, now), random);
}

/**
 * The first of `rules` (in order) that `matches` and fires ({@link fires}: a draw only for
 * 0 < probability < 1), or undefined. The decision of DNS and HTTP fault rules alike. Pure given
 * `random`.
 */
export function firstFiring<R extends Pick<TimedFault, 'probability'>>(
  rules: Iterable<R>,
  matches: (rule: R) => boolean,
  random: Random,
): R | undefined {
  for (const rule of rules) if (matches(rule) && fires(rule.probability, random)) return rule;
  return undefined;
}

/** The delay a fired rule adds before the reply, in ms: `delayMs + jitterMs · u`. */
export function faultDelay(rule: Pick<FaultRule, 'delayMs' | 'jitterMs'>, random: Random): number {
  return rule.jitterMs > 0 ? rule.delayMs + rule.jitterMs * random.next() : rule.delayMs;
}

/** A parsed CIDR range. */
interface Cidr {
  readonly family: 4 | 6;
  /** The address as bytes. */
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

const cidrCache = new Map<string, Cidr | undefined>();

/** Parses `a.b.c.d/n` or `x::/n`; undefined when malformed. */
export function parseCidr(cidr: string): Cidr | undefined {
  if (cidrCache.has(cidr)) return cidrCache.get(cidr);
  const slash = cidr.indexOf('/');
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
  const prefixText = slash < 0 ? String(family === 4 ? 32 : 128) : cidr.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  let result: Cidr | undefined;
  if (family !== 0 && prefix <= (family === 4 ? 32 : 128)) {
    result = { family, bytes: family === 4 ? ipv4Bytes(address) : ipv6Bytes(address), prefix };
  }
  if (cidrCache.size < 1000) cidrCache.set(cidr, result);
  return result;
}

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  const bytes = new Uint8Array(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const b = ipv4Bytes(v4[1]!);
    text = `${text.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((g, i) => {
    const v = parseInt(g as string, 16);
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 0xff;
  });
  return bytes;
}

/**
 * A random address inside `cidr` (default `127.0.0.0/8` for family 4, `100::/64` for 6), drawn from
 * `random`. Pure given `random`.
 */
export function randomAddress(family: 4 | 6, random: Random, cidr?: string): string {
  const range = parseCidr(cidr ?? (family === 4 ? '127.0.0.0/8' : '100::/64'))!;
  const bytes = Uint8Array.from(range.bytes);
  for (let i = 0; i < bytes.length; i++) {
    const fixedBits = Math.min(8, Math.max(0, range.prefix - i * 8));
    if (fixedBits === 8) continue;
    const mask = (0xff << (8 - fixedBits)) & 0xff;
    bytes[i] = (bytes[i]! & mask) | (Math.floor(random.next() * 256) & ~mask & 0xff);
  }
  if (range.family === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** An entry of the fault change log. */
export interface FaultChangeEvent {
  /** When, on the server's clock, in ms. */
  readonly at: number;
  readonly change: 'add' | 'remove' | 'clear';
  /** The rule added or removed (for `clear`, every rule removed). */
  readonly rules: readonly FaultRule[];
}

/** Options of {@link FaultEngine}. */
export interface FaultEngineOptions {
  /** The server's clock: windows and `createdAt` read it. Default `systemClock`. */
  readonly clock: Clock;
  /** Draws probabilities, jitter and random addresses. */
  readonly random: Random;
  /** Most rules at once, default 1,000: a bound on the work per query. */
  readonly maxRules?: number;
}

/**
 * Holds the fault rules of one server: add, list, remove, clear, and decide per query. Every change is
 * emitted on {@link FaultEngine.events} (the server keeps them in its audit log).
 *
 * @example
 * const engine = new FaultEngine({ clock: new VirtualClock(), random: seededRandom(1) });
 * engine.add({ name: 'dynamodb.us-east-1.amazonaws.com', type: 'A', action: 'empty' });
 */
export class FaultEngine {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #maxRules: number;
  #rules: FaultRule[] = [];
  #index: RuleIndex = buildIndex([]);
  /** Candidate positions per query name, for the current rules (emptied on every change, bounded). */
  readonly #candidates = new Map<string, readonly number[]>();
  #nextId = 1;
  readonly #fired = new Map<string, number>();
  /** Emits every change of the rule list. */
  readonly events = new Emitter<FaultChangeEvent>();

  constructor(options: FaultEngineOptions) {
    this.#clock = options.clock;
    this.#random = options.random;
    this.#maxRules = options.maxRules ?? 1000;
  }

  /** How many rules are held: the server skips fault matching entirely when 0. */
  get size(): number {
    return this.#rules.length;
  }

  /**
   * Adds a rule at the end of the list. Throws `FS_ERR_CHAOS_INVALID_FAULT` naming the field,
   * `FS_ERR_CHAOS_FAULT_EXISTS` for a duplicate id, `FS_ERR_CHAOS_TOO_MANY_FAULTS` past `maxRules`.
   */
  add(input: FaultRuleInput | unknown): FaultRule {
    if (this.#rules.length >= this.#maxRules) {
      throw new FailsmallError('FS_ERR_CHAOS_TOO_MANY_FAULTS', `At most ${this.#maxRules} fault rules at once`);
    }
    let n = this.#nextId;
    while (this.#rules.some((r) => r.id === `f${n}`)) n++;
    const rule = parseFaultRule(input, `f${n}`, this.#clock.now());
    if (rule.id === `f${n}`) this.#nextId = n + 1; // ids are spent only by rules that were added
    if (this.#rules.some((r) => r.id === rule.id)) {
      throw new FailsmallError('FS_ERR_CHAOS_FAULT_EXISTS', `A fault rule with id ${JSON.stringify(rule.id)} exists`, {
        details: { id: rule.id },
      });
    }
    this.#rules = [...this.#rules, rule];
    this.#index = buildIndex(this.#rules);
    this.#candidates.clear();
    this.events.emit({ at: this.#clock.now(), change: 'add', rules: [rule] });
    return rule;
  }

  /** The rules in order, each with whether its window is open now and how often it fired. */
  list(): (FaultRule & { active: boolean; fired: number })[] {
    const now = this.#clock.now();
    return this.#rules.map((r) => ({ ...r, active: ruleActive(r, now), fired: this.#fired.get(r.id) ?? 0 }));
  }

  /** Removes one rule; returns it, or undefined when no rule has that id. */
  remove(id: string): FaultRule | undefined {
    const rule = this.#rules.find((r) => r.id === id);
    if (rule === undefined) return undefined;
    this.#rules = this.#rules.filter((r) => r !== rule);
    this.#index = buildIndex(this.#rules);
    this.#candidates.clear();
    this.#fired.delete(id);
    this.events.emit({ at: this.#clock.now(), change: 'remove', rules: [rule] });
    return rule;
  }

  /** Removes every rule; returns how many there were. */
  clear(): number {
    const removed = this.#rules;
    this.#rules = [];
    this.#index = buildIndex([]);
    this.#candidates.clear();
    this.#fired.clear();
    this.events.emit({ at: this.#clock.now(), change: 'clear', rules: removed });
    return removed.length;
  }

  /**
   * Decides one query at `now` exactly as {@link decideFault} over the rules in order, and counts the
   * firing. Only the rules whose pattern can match the name are tried: exact names, `*.suffix` and
   * `prefix.*` patterns are looked up by the name's labels (O(labels), whatever the number of such
   * rules, and remembered per name until the rules change); only other globs are tried one by one.
   */
  decide(query: FaultQuery, now: number): FaultRule | undefined {
    if (this.#rules.length === 0) return undefined;
    let candidates = this.#candidates.get(query.name);
    if (candidates === undefined) {
      candidates = candidatePositions(this.#index, query.name);
      if (this.#candidates.size >= maxCachedNames) this.#candidates.clear();
      this.#candidates.set(query.name, candidates);
    }
    if (candidates.length === 0) return undefined;
    const rule = firstFiring(
      candidates.map((position) => this.#rules[position]!),
      (r) => ruleMatches(r, query, now),
      this.#random,
    );
    if (rule !== undefined) this.#fired.set(rule.id, (this.#fired.get(rule.id) ?? 0) + 1);
    return rule;
  }

  /** Plain JSON for metrics. */
  snapshot(): { rules: number; fired: Record<string, number> } {
    return { rules: this.#rules.length, fired: Object.fromEntries(this.#fired) };
  }
}

/** Rule positions (in list order) by the shape of their name pattern. */
interface RuleIndex {
  /** Exact names. */
  readonly exact: ReadonlyMap<string, readonly number[]>;
  /** `*.example.com` patterns, keyed `.example.com`. */
  readonly suffix: ReadonlyMap<string, readonly number[]>;
  /** `dynamodb.*` patterns, keyed `dynamodb.`. */
  readonly prefix: ReadonlyMap<string, readonly number[]>;
  /** Every other pattern, tried for every query. */
  readonly other: readonly number[];
}

function push(map: Map<string, number[]>, key: string, position: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [position]);
  else list.push(position);
}

/** Files each rule by its pattern's shape. */
function buildIndex(rules: readonly FaultRule[]): RuleIndex {
  const exact = new Map<string, number[]>();
  const suffix = new Map<string, number[]>();
  const prefix = new Map<string, number[]>();
  const other: number[] = [];
  rules.forEach((rule, position) => {
    const p = rule.name;
    if (isExactPattern(p)) push(exact, p, position);
    else if (p.startsWith('*.') && isExactPattern(p.slice(1))) push(suffix, p.slice(1), position);
    else if (p.endsWith('.*') && isExactPattern(p.slice(0, -1))) push(prefix, p.slice(0, -1), position);
    else other.push(position);
  });
  return { exact, suffix, prefix, other };
}

/** Most query names whose candidate rules are remembered (random names cannot grow it past this). */
const maxCachedNames = 10_000;
const noCandidates: readonly number[] = [];

/**
 * The positions of the rules whose pattern may match `name`, ascending (list order). A name of n
 * labels costs n + 1 lookups in each map; the engine remembers the result per name.
 */
function candidatePositions(index: RuleIndex, name: string): readonly number[] {
  const out: number[] = [];
  const exact = index.exact.get(name);
  if (exact !== undefined) for (const p of exact) out.push(p);
  if (index.suffix.size > 0 || index.prefix.size > 0) {
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      const bySuffix = index.suffix.get(name.slice(dot)); // `*.` needs at least one character before the dot
      if (bySuffix !== undefined && dot > 0) for (const p of bySuffix) out.push(p);
      const byPrefix = index.prefix.get(name.slice(0, dot + 1));
      if (byPrefix !== undefined && dot + 1 < name.length) for (const p of byPrefix) out.push(p);
    }
  }
  for (const p of index.other) out.push(p);
  if (out.length === 0) return noCandidates;
  if (out.length > 1) out.sort((a, b) => a - b);
  return out;
}
