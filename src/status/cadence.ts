/**
 * The update cadence of an open incident, as pure functions of the incident and `now`: the first
 * update is due 15 minutes after the incident opened, the next 60 minutes after that, then every 120
 * minutes after the last update (configurable). Silence is what customers remember; the cadence tells
 * the responder when the next word is owed, and the public page promises it ("next update by 14:30").
 */
import { FailsmallError } from '../core/errors.js';
import { nonNegativeNumber, positiveNumber } from '../core/validate.js';
import type { Incident } from './model.js';

/** Options of the cadence. */
export interface CadenceOptions {
  /**
   * The gaps between updates, in milliseconds: the first after the opening update, the second after
   * the next, and the last repeating; default `[15 min, 60 min, 120 min]`.
   */
  readonly intervalsMs?: readonly number[];
  /** How long before the due time an update counts as due (the reminder), in milliseconds; default 5 min. */
  readonly dueSoonMs?: number;
}

/** Where an open incident stands against its cadence. */
export type CadenceState = 'ok' | 'due' | 'overdue';

/** The cadence of one open incident at a moment. */
export interface CadenceStatus {
  readonly incidentId: string;
  readonly name: string;
  /** When the next update is due, in milliseconds of the clock. */
  readonly dueAt: number;
  /** `due` from `dueSoonMs` before `dueAt`, `overdue` from `dueAt` on. */
  readonly state: CadenceState;
  /** `now - dueAt`: negative while ahead of time. */
  readonly lateByMs: number;
}

/** The cadence with its defaults applied and checked. */
export interface Cadence {
  readonly intervalsMs: readonly number[];
  readonly dueSoonMs: number;
}

const MINUTE = 60_000;

/** Checks the options (exact messages) and applies the defaults. */
export function cadence(options: CadenceOptions = {}): Cadence {
  for (const key of Object.keys(options)) {
    if (key !== 'intervalsMs' && key !== 'dueSoonMs') {
      throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', `Unknown option \`${key}\``, { details: { option: key } });
    }
  }
  const intervalsMs = options.intervalsMs ?? [15 * MINUTE, 60 * MINUTE, 120 * MINUTE];
  if (!Array.isArray(intervalsMs) || intervalsMs.length === 0) {
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      `Expected \`intervalsMs\` to be a non-empty array of numbers > 0, got ${JSON.stringify(intervalsMs)}`,
      { details: { option: 'intervalsMs' } },
    );
  }
  intervalsMs.forEach((ms, i) => positiveNumber(`intervalsMs[${i}]`, ms));
  return { intervalsMs: [...intervalsMs], dueSoonMs: nonNegativeNumber('dueSoonMs', options.dueSoonMs ?? 5 * MINUTE) };
}

/** When the next update of `incident` is due; `undefined` once it is resolved. */
export function nextUpdateDue(incident: Incident, c: Cadence): number | undefined {
  if (incident.status === 'resolved') return undefined;
  const last = incident.updates[incident.updates.length - 1];
  const posted = incident.updates.length; // the opening update counts
  const gap = c.intervalsMs[Math.min(posted - 1, c.intervalsMs.length - 1)]!;
  return (last?.at ?? incident.createdAt) + gap;
}

/** The cadence of `incident` at `now`; `undefined` once it is resolved. */
export function cadenceStatus(incident: Incident, now: number, c: Cadence): CadenceStatus | undefined {
  const dueAt = nextUpdateDue(incident, c);
  if (dueAt === undefined) return undefined;
  const state: CadenceState = now >= dueAt ? 'overdue' : now >= dueAt - c.dueSoonMs ? 'due' : 'ok';
  return { incidentId: incident.id, name: incident.name, dueAt, state, lateByMs: now - dueAt };
}
