/**
 * Where a {@link StatusStore} keeps its documents: a small contract of JSON documents by kind and id,
 * read and written in transactions. The status logic (lifecycles, component changes, events) is
 * written once, in store.ts, over this; each database implements only this contract (memory here,
 * SQLite in sqlite-backend.ts, PostgreSQL in postgres-backend.ts).
 */
import { FailsmallError } from '../core/errors.js';
import { StatusErrorCodes } from './error-codes.js';

/** The kinds of document a status store keeps. */
export type DocumentKind =
  'component' | 'incident' | 'maintenance' | 'subscriber' | 'event' | 'suggestion' | 'edge' | 'failure' | 'catalog';

/** A JSON document. */
export type Doc = Record<string, unknown>;

/** Reads and writes inside one transaction. */
export interface DocumentTx {
  get(kind: DocumentKind, id: string): Promise<Doc | undefined>;
  /** Every document of `kind`, in insertion order. */
  list(kind: DocumentKind): Promise<Doc[]>;
  /** Creates or replaces a document. */
  put(kind: DocumentKind, id: string, doc: Doc): Promise<void>;
  /** Removes a document; false when there was none. */
  delete(kind: DocumentKind, id: string): Promise<boolean>;
}

/** A database holding status documents. */
export interface StatusBackend {
  /** `memory`, `sqlite` or `postgres`. */
  readonly kind: string;
  /**
   * Runs `fn` in a transaction that no other write of any process on the same database interleaves
   * with (writes are serialised); its writes are applied together when `fn` resolves, none when it
   * throws.
   */
  write<T>(fn: (tx: DocumentTx) => Promise<T>): Promise<T>;
  /** Runs `fn` on a consistent view for reading; `put` and `delete` are not allowed. */
  read<T>(fn: (tx: DocumentTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Serialises async sections within one process (one write at a time on a single connection). */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every section queued before it has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** Throws `FS_ERR_STATUS_STORE_CLOSED` when `closed`. */
export function checkOpen(closed: boolean): void {
  if (closed) throw new FailsmallError(StatusErrorCodes.STORE_CLOSED, 'The status store is closed');
}

const readOnly = (): never => {
  throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'A read transaction cannot write');
};

/**
 * Documents in process memory: for tests and a page that need not survive a restart. Writes are
 * buffered and applied when the transaction's function resolves.
 */
export class MemoryBackend implements StatusBackend {
  readonly kind = 'memory';
  readonly #docs = new Map<DocumentKind, Map<string, string>>();
  readonly #mutex = new Mutex();
  #closed = false;

  #table(kind: DocumentKind): Map<string, string> {
    let table = this.#docs.get(kind);
    if (table === undefined) this.#docs.set(kind, (table = new Map()));
    return table;
  }

  write<T>(fn: (tx: DocumentTx) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      checkOpen(this.#closed);
      const pending = new Map<string, { kind: DocumentKind; id: string; text: string | undefined }>();
      const key = (kind: DocumentKind, id: string): string => `${kind}\u0000${id}`;
      const tx: DocumentTx = {
        get: async (kind, id) => {
          const p = pending.get(key(kind, id));
          const text = p === undefined ? this.#table(kind).get(id) : p.text;
          return text === undefined ? undefined : (JSON.parse(text) as Doc);
        },
        list: async (kind) => {
          const merged = new Map(this.#table(kind));
          for (const p of pending.values()) {
            if (p.kind !== kind) continue;
            if (p.text === undefined) merged.delete(p.id);
            else merged.set(p.id, p.text);
          }
          return [...merged.values()].map((t) => JSON.parse(t) as Doc);
        },
        put: async (kind, id, doc) => {
          pending.set(key(kind, id), { kind, id, text: JSON.stringify(doc) });
        },
        delete: async (kind, id) => {
          const existed = (await tx.get(kind, id)) !== undefined;
          pending.set(key(kind, id), { kind, id, text: undefined });
          return existed;
        },
      };
      const result = await fn(tx);
      for (const p of pending.values()) {
        if (p.text === undefined) this.#table(p.kind).delete(p.id);
        else this.#table(p.kind).set(p.id, p.text);
      }
      return result;
    });
  }

  async read<T>(fn: (tx: DocumentTx) => Promise<T>): Promise<T> {
    checkOpen(this.#closed);
    return fn({
      get: async (kind, id) => {
        const text = this.#table(kind).get(id);
        return text === undefined ? undefined : (JSON.parse(text) as Doc);
      },
      list: async (kind) => [...this.#table(kind).values()].map((t) => JSON.parse(t) as Doc),
      put: readOnly,
      delete: readOnly,
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
