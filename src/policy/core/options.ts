/**
 * Checks of the collaborators the policies take: a clock, a random source, a dependency name and a
 * retry budget, each with its default and an exact error message. One copy, so every policy accepts
 * and rejects the same values.
 */
import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { mathRandom } from '../../core/random.js';
import type { Random } from '../../core/random.js';
import { FailsmallError } from '../../core/errors.js';
import { invalid, withMethods } from '../../core/validate.js';
import type { RetryBudget } from '../budget/budget.js';

/** A {@link Clock} (anything with `now`, `setTimer` and `sleep`); default {@link systemClock}. */
export function clockOption(value: unknown): Clock {
  if (value === undefined) return systemClock;
  return withMethods<Clock>('clock', value, ['now', 'sleep', 'setTimer'], 'a Clock');
}

/** A {@link Random} (anything with `next`); default {@link mathRandom}. */
export function randomOption(value: unknown): Random {
  if (value === undefined) return mathRandom;
  return withMethods<Random>('random', value, ['next'], 'a Random');
}

/** A dependency name: a non-empty string, or undefined. */
export function dependencyOption(value: unknown): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || value === ''))
    invalid('dependency', 'a non-empty string', value);
  return value as string | undefined;
}

/** A {@link RetryBudget} (anything with `tryAcquire`, `recordRequest` and `recordSuccess`). */
export function budgetOption(value: unknown): RetryBudget {
  return withMethods<RetryBudget>('budget', value, ['tryAcquire', 'recordRequest', 'recordSuccess'], 'a RetryBudget');
}

/**
 * The options object of a policy factory: `undefined` becomes `{}`, anything but a plain object is
 * ``Expected `options` to be an object`` (so is `undefined` when `required`), and a key not in `known` is rejected with
 * ``Unknown option `x`; expected one of a, b, c`` (a typo would otherwise be silently ignored).
 */
export function policyOptions<T extends object>(value: T | undefined, known: readonly string[], required = false): T {
  if (value === undefined && !required) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('options', 'an object', value);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new FailsmallError(
        'FS_ERR_INVALID_ARGUMENT',
        `Unknown option \`${key}\`; expected one of ${known.join(', ')}`,
        {
          details: { option: key, expected: known },
        },
      );
    }
  }
  return value;
}
