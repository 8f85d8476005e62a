/**
 * The 90-day uptime bar of a component, from its status changes: for each UTC day, the share of the
 * day's observed time it was up (operational or under planned maintenance) and the worst status it
 * had. Days before the component existed have no data.
 */
import { componentStatuses, type Component, type ComponentEvent, type ComponentStatus } from './model.js';

/** One day of an uptime bar. */
export interface UptimeDay {
  /** `YYYY-MM-DD` (UTC). */
  readonly day: string;
  /** Share of the observed time up, 0..1; `null` before the component existed. */
  readonly uptime: number | null;
  /** The worst status during the day; `null` before the component existed. */
  readonly worst: ComponentStatus | null;
}

const DAY = 86_400_000;
const rank = (s: ComponentStatus): number => componentStatuses.indexOf(s);
const isUp = (s: ComponentStatus): boolean => s === 'operational' || s === 'under_maintenance';

/**
 * The last `days` UTC days up to `now` (oldest first) for `component`, from `events` (any order; other
 * components' events are ignored).
 */
export function uptimeBar(
  component: Component,
  events: readonly ComponentEvent[],
  now: number,
  days = 90,
): UptimeDay[] {
  const own = events.filter((e) => e.componentId === component.id).sort((a, b) => a.at - b.at);
  const today = Math.floor(now / DAY) * DAY;
  const out: UptimeDay[] = [];
  for (let d = days - 1; d >= 0; d--) {
    const start = today - d * DAY;
    const end = Math.min(start + DAY, now);
    const day = new Date(start).toISOString().slice(0, 10);
    const from = Math.max(start, component.createdAt);
    if (from >= end) {
      out.push({ day, uptime: null, worst: null });
      continue;
    }
    // The status in force at `from`: the last event at or before it.
    let status: ComponentStatus = 'operational';
    for (const e of own) if (e.at <= from) status = e.status;
    let worst = status;
    let up = 0;
    let cursor = from;
    for (const e of own) {
      if (e.at <= from || e.at >= end) continue;
      if (isUp(status)) up += e.at - cursor;
      cursor = e.at;
      status = e.status;
      if (rank(status) > rank(worst)) worst = status;
    }
    if (isUp(status)) up += end - cursor;
    out.push({ day, uptime: up / (end - from), worst });
  }
  return out;
}

/** The share of time up over the whole bar (observed days only), 0..1; 1 when nothing was observed. */
export function uptimeShare(bar: readonly UptimeDay[]): number {
  const seen = bar.filter((d) => d.uptime !== null);
  return seen.length === 0 ? 1 : seen.reduce((s, d) => s + d.uptime!, 0) / seen.length;
}
