/**
 * Tolerances as Chaos Toolkit defines them (https://chaostoolkit.org/reference/api/experiment/#tolerance):
 * a probe's value is within tolerance when
 * - the tolerance is a boolean, number or string: the value equals it (for an HTTP or process value,
 *   its `status` does);
 * - a list: the value (or its `status`) is one of its items;
 * - `{ type: range, range: [lo, hi], target? }`: lo <= value <= hi (a number, or `status` by default);
 * - `{ type: regex, pattern, target? }`: the pattern matches the target (default `body` of an HTTP
 *   value, `stdout` of a process value, else the value as text);
 * - `{ type: jsonpath, path, expect?, count?, target? }`: the path finds values in the target (default
 *   `body`); with `expect`, the values equal to it (or, for a list, found in it) count; the tolerance
 *   holds when at least one counts, or exactly `count` do;
 * - `{ type: probe, provider }`: another probe run with the value, whose result is truthy (a status
 *   below 400, an exit code 0, `true`).
 *
 * The decision {@link withinTolerance} is pure but for the probe tolerance, run by the caller.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Tolerance } from './experiment.js';

/** The result of a tolerance check: whether it held, and why not. */
export interface ToleranceResult {
  readonly ok: boolean;
  readonly reason?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function statusOf(value: unknown): unknown {
  return isObject(value) && 'status' in value ? value['status'] : value;
}

function targetOf(value: unknown, target: string | undefined, fallback: 'status' | 'text'): unknown {
  if (!isObject(value)) return value;
  if (target !== undefined) return value[target];
  if (fallback === 'status') return statusOf(value);
  if ('body' in value) return value['body'];
  if ('stdout' in value) return value['stdout'];
  return value;
}

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

/**
 * Finds the values at a JSONPath in `data`: the subset `$`, `.key`, `['key']`, `[n]`, `[*]`, `.*`
 * and `..key` (recursive descent).
 */
export function jsonPath(data: unknown, path: string): unknown[] {
  const tokens: ({ key: string } | { index: number } | { all: true } | { deep: string })[] = [];
  const re = /\.\.([A-Za-z0-9_$-]+)|\.([A-Za-z0-9_$-]+)|\.\*|\[\*\]|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  let rest = path.trim();
  if (!rest.startsWith('$')) throw new Error(`a JSONPath starts with $, got ${show(path)}`);
  rest = rest.slice(1);
  re.lastIndex = 0;
  let pos = 0;
  while (pos < rest.length) {
    re.lastIndex = pos;
    const m = re.exec(rest);
    if (m === null) throw new Error(`unsupported JSONPath ${show(path)} at ${show(rest.slice(pos))}`);
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ deep: m[1] });
    else if (m[2] !== undefined) tokens.push({ key: m[2] });
    else if (m[3] !== undefined) tokens.push({ index: Number(m[3]) });
    else if (m[4] !== undefined) tokens.push({ key: m[4] });
    else if (m[5] !== undefined) tokens.push({ key: m[5] });
    else tokens.push({ all: true });
  }
  let current: unknown[] = [data];
  const descend = (v: unknown, key: string, out: unknown[]): void => {
    if (Array.isArray(v)) for (const x of v) descend(x, key, out);
    else if (isObject(v)) {
      if (key in v) out.push(v[key]);
      for (const x of Object.values(v)) descend(x, key, out);
    }
  };
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('key' in t) {
        if (isObject(v) && t.key in v) next.push(v[t.key]);
      } else if ('index' in t) {
        if (Array.isArray(v) && t.index < v.length) next.push(v[t.index]);
      } else if ('all' in t) {
        if (Array.isArray(v)) next.push(...v);
        else if (isObject(v)) next.push(...Object.values(v));
      } else descend(v, t.deep, next);
    }
    current = next;
  }
  return current;
}

/**
 * Whether `value` is within `tolerance` (every kind but `probe`, which the runner evaluates by
 * running the probe: pass its result as `probeResult`).
 *
 * @example
 * withinTolerance({ status: 200, headers: {}, body: 'ok' }, 200); // { ok: true }
 * withinTolerance(3, { type: 'range', range: [0, 2] }); // { ok: false, reason: '3 is outside [0, 2]' }
 */
export function withinTolerance(value: unknown, tolerance: Tolerance, probeResult?: unknown): ToleranceResult {
  if (typeof tolerance === 'boolean' || typeof tolerance === 'number' || typeof tolerance === 'string') {
    const v = typeof tolerance === 'boolean' && typeof value === 'boolean' ? value : statusOf(value);
    return isDeepStrictEqual(v, tolerance)
      ? { ok: true }
      : { ok: false, reason: `${show(v)} is not ${show(tolerance)}` };
  }
  if (Array.isArray(tolerance)) {
    const v = statusOf(value);
    return tolerance.some((t) => isDeepStrictEqual(t, v))
      ? { ok: true }
      : { ok: false, reason: `${show(v)} is not one of ${show(tolerance)}` };
  }
  switch (tolerance.type) {
    case 'range': {
      const v = targetOf(value, tolerance.target, 'status');
      const [lo, hi] = tolerance.range;
      return typeof v === 'number' && v >= lo && v <= hi
        ? { ok: true }
        : { ok: false, reason: `${show(v)} is outside [${lo}, ${hi}]` };
    }
    case 'regex': {
      const v = targetOf(value, tolerance.target, 'text');
      const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
      return new RegExp(tolerance.pattern).test(text)
        ? { ok: true }
        : { ok: false, reason: `${show(text)} does not match /${tolerance.pattern}/` };
    }
    case 'jsonpath': {
      let v = targetOf(value, tolerance.target, 'text');
      if (typeof v === 'string') {
        try {
          v = JSON.parse(v);
        } catch {
          return { ok: false, reason: 'the target is not JSON' };
        }
      }
      const found = jsonPath(v, tolerance.path);
      const expect = tolerance.expect;
      const counted =
        expect === undefined
          ? found
          : found.filter(
              (x) =>
                isDeepStrictEqual(x, expect) || (Array.isArray(expect) && expect.some((e) => isDeepStrictEqual(e, x))),
            );
      const ok = tolerance.count === undefined ? counted.length > 0 : counted.length === tolerance.count;
      return ok
        ? { ok: true }
        : {
            ok: false,
            reason: `${tolerance.path} found ${show(found)}${expect === undefined ? '' : `, expected ${show(expect)}`}${tolerance.count === undefined ? '' : ` ${tolerance.count} time(s)`}`,
          };
    }
    case 'probe': {
      const r = probeResult;
      const ok =
        r === true ||
        (isObject(r) &&
          typeof r['status'] === 'number' &&
          (r['stdout'] !== undefined ? r['status'] === 0 : r['status'] < 400));
      return ok ? { ok: true } : { ok: false, reason: `the tolerance probe answered ${show(r)}` };
    }
  }
}
