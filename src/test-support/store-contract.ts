/**
 * What every store contract suite (plan, outbox, status) does around its cases: cases reported as
 * skipped with the suite's reason when its backend is not available, every store a case opened
 * closed after the suite, then the factory's `cleanup`, and error assertions by code.
 */
import { after, it as test } from 'node:test';
import { isFailsmallError, type ErrorCode } from '../core/errors.js';

/** For `assert.rejects` / `assert.throws`: the error is a failsmall error with code `c`. */
export const code =
  (c: string) =>
  (e: unknown): boolean =>
    isFailsmallError(e, c as ErrorCode);

/** What every contract suite's factory has besides its way of opening stores. */
export interface ContractFactory {
  /** Called once after the suite (not when it is skipped). */
  cleanup?(): Promise<void>;
}

/** How a contract suite is registered. */
export interface ContractOptions {
  /** Report every case as skipped with this reason (a backend that is not available), never failed. */
  readonly skip?: string;
}

/** The cases and stores of one contract suite, from {@link contractSuite}. */
export interface ContractSuite<S> {
  /** Registers a case; with the suite's `skip`, it is reported as skipped with that reason. */
  it(title: string, fn: () => Promise<void>): void;
  /** `open`, with every store it returns closed after the suite. */
  tracked<A extends unknown[], T extends S>(open: (...args: A) => Promise<T>): (...args: A) => Promise<T>;
}

/**
 * Call inside the suite's `describe`: after the suite every tracked store is closed (a failing
 * close ignored) and then, unless the suite is skipped, `factory.cleanup` runs.
 */
export function contractSuite<S extends { close(): Promise<void> }>(
  factory: ContractFactory,
  skip?: string,
): ContractSuite<S> {
  const opened: S[] = [];
  after(async () => {
    for (const store of opened) await store.close().catch(() => undefined);
    if (skip === undefined) await factory.cleanup?.();
  });
  return {
    it: (title, fn) => test(title, skip === undefined ? {} : { skip }, fn),
    tracked:
      (open) =>
      async (...args) => {
        const store = await open(...args);
        opened.push(store);
        return store;
      },
  };
}
