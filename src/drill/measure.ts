/**
 * What a drill measures, from the samples of the steady-state hypothesis polled while the method runs
 * and after it (pure: `(samples, fault instant) → figures`):
 * - detected: the first failing sample at or after the fault; time to detect = detected − fault;
 * - recovered: the first passing sample after the detection; RTO = recovered − fault;
 * - a hypothesis that never failed after the fault was never lost: detection `undefined`, RTO 0;
 * - one that failed and never passed again was not recovered: RTO `undefined`.
 * Writes lost (RPO) come from the write/read-back probe: writes acknowledged before the fault (or the
 * failback) that did not read back after it.
 */

/** One poll of the hypothesis: when (clock ms) and whether every probe was within tolerance. */
export interface Sample {
  readonly at: number;
  readonly ok: boolean;
}

/** Detection and recovery after one instant (the fault, or the failback). */
export interface Recovery {
  /** The instant measured from, clock ms. */
  readonly from: number;
  /** The first failing sample at or after `from`; undefined when the steady state was never lost. */
  readonly detectedAt: number | undefined;
  /** The first passing sample after `detectedAt`; undefined when lost and not regained. */
  readonly recoveredAt: number | undefined;
  /** Seconds from `from` to the detection. */
  readonly timeToDetectS: number | undefined;
  /** Seconds from `from` to the recovery: 0 when never lost, undefined when never regained. */
  readonly rtoS: number | undefined;
}

/**
 * Detection and recovery after `from`, looking at samples up to `until` (exclusive; default all).
 *
 * @example
 * measureRecovery([{ at: 0, ok: true }, { at: 500, ok: false }, { at: 2000, ok: true }], 100);
 * // { from: 100, detectedAt: 500, recoveredAt: 2000, timeToDetectS: 0.4, rtoS: 1.9 }
 */
export function measureRecovery(samples: readonly Sample[], from: number, until = Infinity): Recovery {
  let detectedAt: number | undefined;
  let recoveredAt: number | undefined;
  for (const s of samples) {
    if (s.at < from || s.at >= until) continue;
    if (detectedAt === undefined) {
      if (!s.ok) detectedAt = s.at;
    } else if (s.ok) {
      recoveredAt = s.at;
      break;
    }
  }
  const seconds = (ms: number): number => Math.round(ms) / 1000;
  return {
    from,
    detectedAt,
    recoveredAt,
    timeToDetectS: detectedAt === undefined ? undefined : seconds(detectedAt - from),
    rtoS: detectedAt === undefined ? 0 : recoveredAt === undefined ? undefined : seconds(recoveredAt - from),
  };
}

/** One acknowledged write of the write/read-back probe. */
export interface AckedWrite {
  readonly key: string;
  /** When it was acknowledged, clock ms. */
  readonly ackedAt: number;
}

/** The keys of writes acknowledged before `at` (and at or after `after`) that are in `missing`. */
export function writesLost(
  acked: readonly AckedWrite[],
  missing: ReadonlySet<string>,
  at: number,
  after = -Infinity,
): string[] {
  return acked.filter((w) => w.ackedAt < at && w.ackedAt >= after && missing.has(w.key)).map((w) => w.key);
}

/**
 * The failback's writes lost: acknowledged before it began (`failbackAt`, clock ms), missing at the end
 * (`missingAtEnd`), and not already missing when it began (`missingAtFailback`: those were lost to the
 * fault and count for it alone).
 */
export function failbackWritesLost(
  acked: readonly AckedWrite[],
  missingAtFailback: ReadonlySet<string>,
  missingAtEnd: ReadonlySet<string>,
  failbackAt: number,
): string[] {
  return writesLost(acked, missingAtEnd, failbackAt).filter((k) => !missingAtFailback.has(k));
}
