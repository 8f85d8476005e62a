/**
 * Durable, shared health state: the votes of every checker and the set's state, so that several
 * checker processes (in several places) agree on one decision. The contract is small on purpose;
 * {@link MemoryHealthStore} implements it in memory, and `failsmall/store` implements it on SQLite
 * (one host) and PostgreSQL (checkers on several hosts). One contract suite runs on all of them.
 *
 * The set's state is written with compare-and-set on a version, so two checkers that evaluate at
 * once cannot both apply their decision: the loser reloads, and evaluates again on the winner's
 * state.
 */
import { FailsmallError } from '../core/errors.js';
import type { SetState } from './guardrails.js';
import type { SetChange } from './monitor.js';
import type { Vote } from './rise-fall.js';

/** One checker's vote for one target from one of its sources. */
export interface StoredVote {
  readonly set: string;
  /** The checker process (e.g. `use1-a`, `euw1-b`). */
  readonly checker: string;
  readonly source: string;
  readonly target: string;
  readonly vote: Vote;
  /** When it was cast, in ms. */
  readonly at: number;
}

/** The set's state as stored, with its version (1 for the first write). */
export interface StoredSet {
  readonly state: SetState;
  readonly version: number;
}

/** The outcome of {@link HealthStore.writeSet}. */
export type WriteSetResult =
  { readonly ok: true; readonly version: number } | { readonly ok: false; readonly current: StoredSet };

/** What a health store keeps. */
export interface HealthStore {
  /** Records votes; a vote replaces the earlier one of the same (set, checker, source, target). */
  putVotes(votes: readonly StoredVote[]): Promise<void>;
  /** The latest vote of each (checker, source, target) of `set` cast at or after `since` (ms). */
  votes(set: string, since: number): Promise<StoredVote[]>;
  /** The set's state, or undefined before the first write. */
  readSet(set: string): Promise<StoredSet | undefined>;
  /**
   * Writes the set's state if its version is still `expectedVersion` (0: not written yet); else
   * answers the current state and writes nothing.
   */
  writeSet(set: string, state: SetState, expectedVersion: number): Promise<WriteSetResult>;
  /** Appends a change of the set to its journal. */
  appendChange(change: SetChange): Promise<void>;
  /** The journal of `set`, oldest first: changes at or after `since` (ms, default 0), at most `limit` (default 1000). */
  changes(set: string, query?: { readonly since?: number; readonly limit?: number }): Promise<SetChange[]>;
  /** Releases connections and files. */
  close(): Promise<void>;
}

/** Codes of the health store. */
export const HealthStoreErrorCodes = {
  /** A vote or change is malformed (wrong type, empty name, unknown vote). */
  INVALID: 'FS_ERR_HEALTH_STORE_INVALID',
} as const;

const VOTES = new Set<Vote>(['up', 'down', 'unknown', 'faulty']);

/** Checks one vote before it is stored (by {@link HealthStoreBase.putVotes}, for every store). */
export function checkVote(v: StoredVote): StoredVote {
  const bad = (field: string, value: unknown): never => {
    throw new FailsmallError(HealthStoreErrorCodes.INVALID, `Invalid vote: \`${field}\` is ${JSON.stringify(value)}`, {
      details: { field },
    });
  };
  if (typeof v !== 'object' || v === null) bad('vote', v);
  for (const field of ['set', 'checker', 'source', 'target'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '') bad(field, v[field]);
  }
  if (!VOTES.has(v.vote)) bad('vote', v.vote);
  if (typeof v.at !== 'number' || !Number.isFinite(v.at)) bad('at', v.at);
  return v;
}

/** Checks a journal query and fills in its defaults (by {@link HealthStoreBase.changes}, for every store). */
export function checkChangesQuery(query: { readonly since?: number; readonly limit?: number } = {}): {
  since: number;
  limit: number;
} {
  const since = query.since ?? 0;
  const limit = query.limit ?? 1000;
  if (typeof since !== 'number' || !Number.isFinite(since)) {
    throw new FailsmallError(HealthStoreErrorCodes.INVALID, `Invalid query: \`since\` is ${JSON.stringify(since)}`, {
      details: { field: 'since' },
    });
  }
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new FailsmallError(HealthStoreErrorCodes.INVALID, `Invalid query: \`limit\` is ${JSON.stringify(limit)}`, {
      details: { field: 'limit' },
    });
  }
  return { since, limit };
}

/**
 * The shell every {@link HealthStore} shares: `putVotes` checks every vote of the batch and
 * `changes` its query before the store touches its backend, so every store refuses the same input
 * with the same `FS_ERR_HEALTH_STORE_INVALID`. A store extends it and writes its backend's side
 * (`storeVotes`, `selectChanges`, handed checked arguments) and the other operations (internal:
 * not part of the public surface).
 */
export abstract class HealthStoreBase implements HealthStore {
  async putVotes(votes: readonly StoredVote[]): Promise<void> {
    for (const v of votes) checkVote(v);
    return this.storeVotes(votes);
  }

  async changes(set: string, query?: { readonly since?: number; readonly limit?: number }): Promise<SetChange[]> {
    return this.selectChanges(set, checkChangesQuery(query));
  }

  /** Records the checked votes, the last of duplicates in one batch winning. */
  protected abstract storeVotes(votes: readonly StoredVote[]): Promise<void>;

  /** The journal of `set`, oldest first, with the checked query's defaults filled in. */
  protected abstract selectChanges(set: string, query: { since: number; limit: number }): Promise<SetChange[]>;

  abstract votes(set: string, since: number): Promise<StoredVote[]>;
  abstract readSet(set: string): Promise<StoredSet | undefined>;
  abstract writeSet(set: string, state: SetState, expectedVersion: number): Promise<WriteSetResult>;
  abstract appendChange(change: SetChange): Promise<void>;
  abstract close(): Promise<void>;
}

const voteKey = (v: StoredVote) => JSON.stringify([v.checker, v.source, v.target]);

/** A {@link HealthStore} in memory: for one process, and for tests. */
export class MemoryHealthStore extends HealthStoreBase {
  readonly #votes = new Map<string, Map<string, StoredVote>>();
  readonly #sets = new Map<string, StoredSet>();
  readonly #changes = new Map<string, SetChange[]>();

  protected storeVotes(votes: readonly StoredVote[]): Promise<void> {
    for (const v of votes) {
      let bySet = this.#votes.get(v.set);
      if (bySet === undefined) this.#votes.set(v.set, (bySet = new Map()));
      bySet.set(voteKey(v), { ...v });
    }
    return Promise.resolve();
  }

  votes(set: string, since: number): Promise<StoredVote[]> {
    const all = [...(this.#votes.get(set)?.values() ?? [])].filter((v) => v.at >= since);
    return Promise.resolve(all.map((v) => ({ ...v })));
  }

  readSet(set: string): Promise<StoredSet | undefined> {
    const s = this.#sets.get(set);
    return Promise.resolve(s === undefined ? undefined : structuredClone(s));
  }

  writeSet(set: string, state: SetState, expectedVersion: number): Promise<WriteSetResult> {
    const current = this.#sets.get(set);
    const version = current?.version ?? 0;
    if (version !== expectedVersion) {
      return Promise.resolve({ ok: false, current: structuredClone(current ?? { state, version: 0 }) });
    }
    this.#sets.set(set, { state: structuredClone(state), version: version + 1 });
    return Promise.resolve({ ok: true, version: version + 1 });
  }

  appendChange(change: SetChange): Promise<void> {
    let list = this.#changes.get(change.set);
    if (list === undefined) this.#changes.set(change.set, (list = []));
    list.push({ ...change });
    return Promise.resolve();
  }

  protected selectChanges(set: string, q: { since: number; limit: number }): Promise<SetChange[]> {
    const list = (this.#changes.get(set) ?? []).filter((c) => c.at >= q.since).slice(0, q.limit);
    return Promise.resolve(list.map((c) => ({ ...c })));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
