/**
 * The one check of a factory's option validation: every case throws `FS_ERR_INVALID_ARGUMENT`,
 * with exactly the given message when there is one.
 */
import assert from 'node:assert/strict';

/** A case: the options passed, and the exact message expected (any message when absent). */
export type InvalidOptionsCase = readonly [options: unknown, message?: string];

/** Asserts that `build(options)` throws `FS_ERR_INVALID_ARGUMENT` for each case. */
export function assertInvalidOptions(build: (options: never) => unknown, cases: readonly InvalidOptionsCase[]): void {
  for (const [options, message] of cases) {
    assert.throws(
      () => build(options as never),
      message === undefined ? { code: 'FS_ERR_INVALID_ARGUMENT' } : { code: 'FS_ERR_INVALID_ARGUMENT', message },
      `options ${String(JSON.stringify(options))}`,
    );
  }
}
