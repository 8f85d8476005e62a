/**
 * The checks of a `PlanStore`'s arguments, run by {@link PlanStoreBase} before any store touches
 * its backend, so the memory, SQLite and PostgreSQL stores refuse the same inputs with the same
 * `FS_ERR_INVALID_ARGUMENT`, and the checked arguments a backend is handed (internal: not part of
 * the public surface).
 */
import { finiteNumber, invalid, nonNegativeInteger, oneOf, positiveInteger } from '../core/validate.js';
import {
  JOURNAL_DECISIONS,
  type Json,
  type JournalDecision,
  type JournalInput,
  type JournalQuery,
  type PlanDeletion,
  type PlanQuery,
} from './store.js';

/** Checks a target name: a non-empty string of at most 255 characters. Throws `FS_ERR_INVALID_ARGUMENT`. */
export function checkTarget(target: unknown): string {
  if (typeof target !== 'string' || target.length === 0 || target.length > 255) {
    invalid('target', 'a non-empty string of at most 255 characters', target);
  }
  return target;
}

/** Checks the arguments of `PlanStore.setActive`. */
export function checkActiveWrite(next: { generation: number; at: number; by: string }): void {
  positiveInteger('generation', next.generation);
  finiteNumber('at', next.at);
  if (typeof next.by !== 'string') invalid('by', 'a string', next.by);
}

/** Checks a journal entry before it is written. */
export function checkJournalInput(entry: JournalInput): void {
  checkTarget(entry.target);
  nonNegativeInteger('generation', entry.generation);
  if (typeof entry.actor !== 'string') invalid('actor', 'a string', entry.actor);
  if (typeof entry.reason !== 'string') invalid('reason', 'a string', entry.reason);
  oneOf('decision', entry.decision, JOURNAL_DECISIONS);
  finiteNumber('at', entry.at);
}

/** Serialises a body for storage; throws `FS_ERR_INVALID_ARGUMENT` when it is not plain JSON. */
export function toJsonText(name: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) invalid(name, 'plain JSON', value);
  return text;
}

/**
 * Checks a {@link PlanQuery} (each bound a finite number when given); returns its bounds,
 * `undefined` where not given, for the store to fill in the default its backend can compare with.
 */
export function checkPlanQuery(query: PlanQuery): { below: number | undefined; above: number | undefined } {
  return {
    below: query.below === undefined ? undefined : finiteNumber('below', query.below),
    above: query.above === undefined ? undefined : finiteNumber('above', query.above),
  };
}

/** Checks a {@link PlanDeletion}: `below` and every kept generation a finite number. */
export function checkPlanDeletion(which: PlanDeletion): CheckedPlanDeletion {
  const below = finiteNumber('below', which.below);
  return { below, except: [...(which.except ?? [])].map((g) => finiteNumber('except', g)) };
}

/** A {@link JournalQuery} checked, with its defaults: after sequence 0, oldest first, no limit. */
export interface CheckedJournalQuery {
  readonly afterSeq: number;
  readonly target: string | undefined;
  readonly decision: JournalDecision | undefined;
  /** At most this many entries; `undefined`: all. */
  readonly limit: number | undefined;
  readonly newestFirst: boolean;
}

/** Checks a {@link JournalQuery} and fills in its defaults. Throws `FS_ERR_INVALID_ARGUMENT`. */
export function checkJournalQuery(query: JournalQuery): CheckedJournalQuery {
  return {
    afterSeq: query.afterSeq === undefined ? 0 : nonNegativeInteger('afterSeq', query.afterSeq),
    target: query.target === undefined ? undefined : checkTarget(query.target),
    decision: query.decision === undefined ? undefined : oneOf('decision', query.decision, JOURNAL_DECISIONS),
    limit: query.limit === undefined ? undefined : nonNegativeInteger('limit', query.limit),
    newestFirst: query.newestFirst === true,
  };
}

/**
 * Checks the arguments of `PlanStore.createPlan`; with `copies`, serialises the body (throwing
 * when it is not plain JSON).
 */
export function checkPlanWrite(
  target: string,
  body: Json,
  meta: { at: number; by: string },
  copies: boolean,
): PlanWrite {
  checkTarget(target);
  finiteNumber('at', meta.at);
  return { at: meta.at, by: String(meta.by), body, text: copies ? toJsonText('body', body) : '' };
}

/** Checks the arguments of `PlanStore.getPlan`. */
export function checkPlanKey(target: string, generation: number): void {
  checkTarget(target);
  positiveInteger('generation', generation);
}

/** `createPlan`'s arguments, checked, as a backend stores them. */
export interface PlanWrite {
  /** When it was created, in milliseconds on the creator's clock (finite). */
  readonly at: number;
  /** Who created it, as a string. */
  readonly by: string;
  /** The body as given. */
  readonly body: Json;
  /** The body as JSON text; `''` when the store does not copy (the memory store's `copy: false`). */
  readonly text: string;
}

/** `listPlans`' bounds, checked, with every generation where not given: `above < generation < below`. */
export interface PlanRange {
  readonly below: number;
  readonly above: number;
}

/** `deletePlans`' arguments, checked: generations below `below`, except those in `except`. */
export interface CheckedPlanDeletion {
  readonly below: number;
  readonly except: readonly number[];
}

/** `setActive`'s new pointer, checked. */
export interface ActiveWrite {
  readonly generation: number;
  readonly at: number;
  readonly by: string;
}
