/**
 * Option checks shared by every module, so that a wrong option fails at construction with the same
 * exact message shape everywhere: ``Expected `maxAttempts` to be a positive integer, got -1``.
 * Each check returns the value it accepted.
 */
import { FailsmallError } from './errors.js';

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Throws `FS_ERR_INVALID_ARGUMENT` with the message ``Expected `name` to be <expected>, got <value>``. */
export function invalid(name: string, expected: string, value: unknown): never {
  throw new FailsmallError(
    'FS_ERR_INVALID_ARGUMENT',
    `Expected \`${name}\` to be ${expected}, got ${describe(value)}`,
    {
      details: { option: name, expected },
    },
  );
}

/** A finite number (not NaN, not ±Infinity). */
export function finiteNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(name, 'a finite number', value);
  return value;
}

/** A finite number ≥ 0. */
export function nonNegativeNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid(name, 'a finite number >= 0', value);
  return value;
}

/** A finite number > 0. */
export function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) invalid(name, 'a finite number > 0', value);
  return value;
}

/** An integer ≥ 1. */
export function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    invalid(name, 'a positive integer', value);
  return value;
}

/** An integer ≥ 0. */
export function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    invalid(name, 'a non-negative integer', value);
  }
  return value;
}

/** A number in [0, 1]. */
export function ratio(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) invalid(name, 'a number between 0 and 1', value);
  return value;
}

/** A duration in milliseconds: a finite number ≥ 0, or Infinity when `allowInfinity` is set. */
export function duration(name: string, value: unknown, allowInfinity = false): number {
  if (allowInfinity && value === Infinity) return value;
  return nonNegativeNumber(name, value);
}

/** A function. */
export function func<T extends (...args: never[]) => unknown>(name: string, value: unknown): T {
  if (typeof value !== 'function') invalid(name, 'a function', value);
  return value as T;
}

/** One of the listed strings. */
export function oneOf<const T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    invalid(name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
  }
  return value as T;
}

/**
 * A collaborator given by its shape: an object (not null) whose `methods` are all functions, e.g. a
 * `Clock` with `now`, `sleep` and `setTimer`. `expected` names it in the message (``a Clock``).
 *
 * @example
 * const clock = withMethods<Clock>('clock', options.clock, ['now', 'sleep', 'setTimer'], 'a Clock');
 */
export function withMethods<T extends object>(
  name: string,
  value: unknown,
  methods: readonly (keyof T & string)[],
  expected: string,
): T {
  if (typeof value !== 'object' || value === null) invalid(name, expected, value);
  for (const m of methods)
    if (typeof (value as Record<string, unknown>)[m] !== 'function') invalid(name, expected, value);
  return value as T;
}

/**
 * An options object: an object (not null) with no key outside `known`. A stray key fails with
 * ``Expected `key` to be a known option, got "key"`` (a typo would otherwise be silently ignored).
 */
export function knownOptions(options: unknown, known: ReadonlySet<string>): void {
  if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
  for (const key of Object.keys(options)) if (!known.has(key)) invalid(key, 'a known option', key);
}
