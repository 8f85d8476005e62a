/**
 * Test fixtures of the policy layer. Loaded by tests only (the file name keeps it out of the
 * published package).
 */
// One drive loop: the public one of failsmall/testing (it throws when the promise never settles,
// which fails the test).
export { drive } from '../testing/virtual-time.js';
export type { Settled } from '../testing/virtual-time.js';
