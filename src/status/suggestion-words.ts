/**
 * The human words of a suggested incident: what a responder would write first, from what the
 * signal says. A responder edits them before publishing; a configured rule publishes them as they
 * are. Plain text (the page escapes it).
 */
import { hhmm } from './html.js';
import type { ComponentStatus, IncidentImpact, SuggestionKind } from './model.js';

/** What the words are made of. */
export interface SuggestionFacts {
  readonly kind: SuggestionKind;
  /** The dependency, host name or health set. */
  readonly subject: string;
  /** Its catalog title, when the catalog has one. */
  readonly title?: string | null;
  readonly service: string;
  /** When the first signal arrived, service clock. */
  readonly at: number;
  readonly reason?: string;
  /** Health targets concerned. */
  readonly targets?: readonly string[];
}

/** A proposed incident. */
export interface SuggestedWords {
  readonly name: string;
  readonly body: string;
  readonly impact: IncidentImpact;
  readonly componentStatus: ComponentStatus;
}

/**
 * The proposed title, first update, impact and component status for `facts`.
 *
 * @example
 * suggestionWords({ kind: 'breaker-open', subject: 'dynamodb', service: 'checkout', at: Date.now() });
 */
export function suggestionWords(facts: SuggestionFacts): SuggestedWords {
  const what = facts.title ?? facts.subject;
  const why = facts.reason === undefined || facts.reason === '' ? '' : ` (${facts.reason})`;
  const when = `${hhmm(facts.at)} UTC`;
  switch (facts.kind) {
    case 'breaker-open':
      return {
        name: `Errors reaching ${what}`,
        body: `Since ${when}, calls from ${facts.service} to ${what} are failing and its circuit breaker opened${why}. Requests that need ${what} may fail or be slower. We are investigating.`,
        impact: 'major',
        componentStatus: 'partial_outage',
      };
    case 'dns-guard':
      return {
        name: `Name resolution problems for ${what}`,
        body: `Since ${when}, DNS answers for ${what} look wrong${why}. ${facts.service} keeps using the last addresses known to work, so most requests go through. We are investigating.`,
        impact: 'minor',
        componentStatus: 'degraded_performance',
      };
    case 'health-escalation': {
      const targets =
        facts.targets === undefined || facts.targets.length === 0 ? '' : ` on ${facts.targets.join(', ')}`;
      return {
        name: `Health checks disagree about ${what}`,
        body: `Since ${when}, health checks of ${what} disagree${targets}${why}. Automation holds back so that capacity stays in service while we look.`,
        impact: 'minor',
        componentStatus: 'degraded_performance',
      };
    }
  }
}
