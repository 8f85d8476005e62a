/**
 * The decision for one target from the votes of several sources: a vote with quorum, k of n.
 *
 * - `down` when at least `quorum` sources say down and fewer than `quorum` say up;
 * - `up` when at least `quorum` sources say up and fewer than `quorum` say down;
 * - otherwise the current state holds. When independent sources disagree (some say up, some say
 *   down, and neither side has the quorum) the decision also asks for a human (`escalate`): two
 *   monitors that disagree mean one of them is lying, and removing capacity on the word of either is
 *   how healthy endpoints get removed.
 *
 * `faulty` and `unknown` votes never count on either side. Pure.
 */
import { invalid, positiveInteger } from '../core/validate.js';
import type { Vote } from './rise-fall.js';

/** What the vote decided for one target. */
export type TargetVerdict = 'up' | 'down' | 'hold';

/** Why. */
export type VoteReason = 'quorum-up' | 'quorum-down' | 'disagreement' | 'no-quorum';

/** The outcome of {@link decide}. */
export interface TargetDecision {
  readonly verdict: TargetVerdict;
  readonly reason: VoteReason;
  /** True when a human should look (the sources disagree). */
  readonly escalate: boolean;
  /** Votes counted, for the record. */
  readonly up: number;
  readonly down: number;
  /** Sources that could not vote (faulty or unknown). */
  readonly abstained: number;
}

/**
 * The quorum for `sources` sources: `quorum` when given (1…sources), else a majority
 * (`floor(n/2) + 1`).
 */
export function quorumOf(sources: number, quorum?: number): number {
  positiveInteger('sources', sources);
  if (quorum === undefined) return Math.floor(sources / 2) + 1;
  positiveInteger('quorum', quorum);
  if (quorum > sources) invalid('quorum', `an integer from 1 to ${sources} (the number of sources)`, quorum);
  return quorum;
}

/**
 * Decides one target from its votes (one per source) with quorum `k`.
 *
 * @example
 * decide(['down', 'up'], 2); // { verdict: 'hold', reason: 'disagreement', escalate: true, … }
 * decide(['down', 'down', 'up'], 2).verdict; // 'down'
 */
export function decide(votes: readonly Vote[], k: number): TargetDecision {
  let up = 0;
  let down = 0;
  for (const v of votes) {
    if (v === 'up') up++;
    else if (v === 'down') down++;
  }
  const abstained = votes.length - up - down;
  if (down >= k && up < k) return { verdict: 'down', reason: 'quorum-down', escalate: false, up, down, abstained };
  if (up >= k && down < k) return { verdict: 'up', reason: 'quorum-up', escalate: false, up, down, abstained };
  const disagree = up > 0 && down > 0;
  return { verdict: 'hold', reason: disagree ? 'disagreement' : 'no-quorum', escalate: disagree, up, down, abstained };
}
