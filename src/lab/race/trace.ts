/**
 * The race model's trace: the interleaving as lines for people and every journaled decision, fed by
 * the enactors' events and the scheduler's steps. Empty (and free) unless asked for.
 */
import type { EnactorEvent } from '../../plan/enactor.js';
import { capacity } from '../../plan/plan-body.js';
import type { ScheduleStep } from '../../plan/scheduler.js';
import type { JournalInput } from '../../plan/store.js';
import type { WeightedAddress } from '../../plan/types.js';
import type { Emitter } from '../../core/events.js';

/** One line of the interleaving, for people. */
export interface RaceLine {
  /** Clock milliseconds. */
  readonly at: number;
  readonly actor: string;
  readonly text: string;
}

/** The steps the interleaving shows (pickup and idle polls are left out). */
const shownSteps = new Map([
  ['apply', 'apply: write the plan to DNS'],
  ['commit', 'commit: set the active pointer'],
  ['cleanup', 'clean-up: scan for old plans'],
  ['delete', 'clean-up: delete old plans'],
]);

/** A record set for people: its addresses with weights, or that it is empty or gone. */
export function describeAddresses(records: readonly WeightedAddress[] | undefined): string {
  if (records === undefined) return 'GONE (NXDOMAIN)';
  if (capacity(records) === 0) return 'EMPTY (no address)';
  return records.map((r) => `${r.address}/${r.weight}`).join(' ');
}

/** A journal entry as one line: `deleted plans 1, 2, 3 (cleanup after applying 6)`. */
export function describeDecision(e: JournalInput): string {
  const details = (e.details ?? {}) as Record<string, unknown>;
  if (e.decision === 'deleted' && Array.isArray(details.generations)) {
    return `deleted plans ${details.generations.join(', ')} (${e.reason} after applying ${e.generation})`;
  }
  if (e.reason === 'cleanup-deleted-active') {
    return `deleted the ACTIVE plan ${e.generation} and its records (${String(details.removal)})`;
  }
  const extra = Object.entries(details)
    .filter(([k]) => k !== 'error')
    .map(([k, v]) => `${k} ${typeof v === 'number' && k === 'share' ? `${Math.round(v * 100)} %` : JSON.stringify(v)}`)
    .join(', ');
  return `${e.decision} generation ${e.generation}: ${e.reason}${extra === '' ? '' : ` (${extra})`}`;
}

/** Collects the lines and decisions of one run; does nothing when `enabled` is false. */
export class RaceTrace {
  readonly lines: RaceLine[] = [];
  readonly decisions: JournalInput[] = [];
  readonly enabled: boolean;
  readonly #onLine: ((line: RaceLine) => void) | undefined;

  constructor(enabled: boolean, onLine?: (line: RaceLine) => void) {
    this.enabled = enabled || onLine !== undefined;
    this.#onLine = onLine;
  }

  /** Adds one line (and hands it to `onLine`). */
  line(at: number, actor: string, text: string): void {
    if (!this.enabled) return;
    const l = { at, actor, text };
    this.lines.push(l);
    this.#onLine?.(l);
  }

  /** Records an enactor's decisions and escalations; returns it. */
  watch<E extends { readonly events: Emitter<EnactorEvent> }>(enactor: E): E {
    if (!this.enabled) return enactor;
    enactor.events.on((event) => {
      if (event.type === 'decision') {
        this.decisions.push(event.entry);
        this.line(event.entry.at, event.entry.actor, describeDecision(event.entry));
      } else {
        const share = Math.round(event.share * 100);
        this.line(
          event.at,
          event.actor,
          `ESCALATION generation ${event.generation}: ${event.reason} (${share} % of capacity)`,
        );
      }
    });
    return enactor;
  }

  /** The scheduler's `beforeStep` hook: a line for each shown step and each crash. */
  step(step: ScheduleStep): void {
    if (step.action === 'crash') {
      this.line(step.at, step.actor, `CRASHED before ${step.label} (restarts from scratch)`);
      return;
    }
    const shown = shownSteps.get(step.label);
    if (shown === undefined) return;
    const g = step.info.generation === undefined ? '' : ` (holding generation ${step.info.generation})`;
    this.line(step.at, step.actor, `> ${shown}${g}`);
  }
}
