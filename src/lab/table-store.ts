/**
 * The table service's items: the tables that exist with their key schemas, and the two operations
 * the replay's clients use, `GetItem` and `PutItem`, checked the way DynamoDB checks them. In memory,
 * no capacity, no HTTP: the router in front of it (table-router.ts) does those.
 */
import { Emitter, validate } from '../core/index.js';
import {
  apiError,
  errorPrefix,
  isAttributeMap,
  validationError,
  type ApiError,
  type AttributeValue,
} from './dynamo-json.js';

/** The operations the store serves. */
export type TableOperation = 'GetItem' | 'PutItem';

interface Table {
  /** The key attribute names (partition key, then sort key if any). */
  readonly keyNames: readonly string[];
  readonly items: Map<string, Record<string, AttributeValue>>;
}

/** A canonical string for a key: attribute names sorted, values as sent. */
function keyString(key: Record<string, AttributeValue>, names: readonly string[]): string {
  return JSON.stringify(names.map((n) => [n, key[n]]));
}

/** The item's key as a string, or a ValidationException when the key does not match the schema. */
function tableKey(table: Table, key: Record<string, AttributeValue>, exact: boolean): string | ApiError {
  const given = Object.keys(key);
  const missing = table.keyNames.some((n) => key[n] === undefined);
  if (missing || (exact && given.length !== table.keyNames.length)) {
    return validationError('The provided key element does not match the schema');
  }
  return keyString(key, table.keyNames);
}

/**
 * Items of the tables named at construction (each with one or two key attribute names).
 *
 * @example
 * const store = new TableStore({ orders: ['id'] });
 * store.execute('PutItem', { TableName: 'orders', Item: { id: { S: '1' } } });
 */
export class TableStore {
  readonly #tables = new Map<string, Table>();
  /** Every item a `PutItem` stored (not `seed`): the region-loss scenario replicates from it. */
  readonly puts = new Emitter<{ readonly table: string; readonly item: Record<string, AttributeValue> }>();

  /** @param tables the tables and their key attribute names, e.g. `{ orders: ['id'] }` */
  constructor(tables: Readonly<Record<string, readonly string[]>>) {
    for (const [name, keyNames] of Object.entries(tables)) {
      if (!Array.isArray(keyNames) || keyNames.length < 1 || keyNames.length > 2) {
        validate.invalid(`tables.${name}`, 'an array of one or two key attribute names', keyNames);
      }
      this.#tables.set(name, { keyNames: [...keyNames], items: new Map() });
    }
  }

  /** Items stored, over all tables. */
  get size(): number {
    let items = 0;
    for (const t of this.#tables.values()) items += t.items.size;
    return items;
  }

  /** Checks a request's input as DynamoDB does before serving it; `undefined` when it is valid. */
  check(operation: TableOperation, input: Record<string, unknown>): ApiError | undefined {
    const name = input['TableName'];
    if (typeof name !== 'string' || !/^[a-zA-Z0-9_.-]{3,255}$/.test(name)) {
      return validationError(
        `1 validation error detected: Value ${JSON.stringify(name ?? null)} at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
      );
    }
    const field = operation === 'GetItem' ? 'Key' : 'Item';
    if (!isAttributeMap(input[field])) {
      return validationError(
        `1 validation error detected: Value at '${field.toLowerCase()}' failed to satisfy constraint: Member must be a non-empty map of attribute values`,
      );
    }
    if (!this.#tables.has(name)) {
      return apiError(400, `${errorPrefix}ResourceNotFoundException`, 'Requested resource not found');
    }
    return undefined;
  }

  /** Serves a checked request (see {@link check}): the response body, or the error to answer. */
  execute(operation: TableOperation, input: Record<string, unknown>): { body: unknown } | ApiError {
    const table = this.#tables.get(input['TableName'] as string)!;
    if (operation === 'GetItem') {
      const key = tableKey(table, input['Key'] as Record<string, AttributeValue>, true);
      if (typeof key !== 'string') return key;
      const item = table.items.get(key);
      return { body: item === undefined ? {} : { Item: item } };
    }
    const item = input['Item'] as Record<string, AttributeValue>;
    const key = tableKey(table, item, false);
    if (typeof key !== 'string') return key;
    table.items.set(key, item);
    if (this.puts.hasListeners) this.puts.emit({ table: input['TableName'] as string, item });
    return { body: {} };
  }

  /** Puts an item directly (test and scenario setup). Throws `FS_ERR_INVALID_ARGUMENT` when it does not fit. */
  seed(tableName: string, item: Record<string, AttributeValue>): void {
    const table = this.#tables.get(tableName);
    if (table === undefined) validate.invalid('table', `one of ${[...this.#tables.keys()].join(', ')}`, tableName);
    if (!isAttributeMap(item)) validate.invalid('item', 'a non-empty map of attribute values', item);
    const key = tableKey(table, item, false);
    if (typeof key !== 'string') validate.invalid('item', `an item with the key ${table.keyNames.join(', ')}`, item);
    table.items.set(key, item);
  }

  /** The item stored under `key` in `tableName`, or undefined (for checks after a run, bypassing capacity). */
  peek(tableName: string, key: Record<string, AttributeValue>): Record<string, AttributeValue> | undefined {
    const table = this.#tables.get(tableName);
    if (table === undefined) validate.invalid('table', `one of ${[...this.#tables.keys()].join(', ')}`, tableName);
    const k = tableKey(table, key, true);
    return typeof k === 'string' ? table.items.get(k) : undefined;
  }
}
