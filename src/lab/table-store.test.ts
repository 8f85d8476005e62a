import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFailsmallError } from '../core/errors.js';
import { TableStore } from './table-store.js';

const invalidArgument = (e: unknown): boolean => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT');

describe('TableStore', () => {
  it('puts and gets items by their key, as DynamoDB checks them', () => {
    const store = new TableStore({ orders: ['id'], events: ['pk', 'sk'] });
    const put = { TableName: 'orders', Item: { id: { S: '1' }, total: { N: '5' } } };
    assert.equal(store.check('PutItem', put), undefined);
    assert.deepEqual(store.execute('PutItem', put), { body: {} });
    assert.deepEqual(store.execute('GetItem', { TableName: 'orders', Key: { id: { S: '1' } } }), {
      body: { Item: put.Item },
    });
    assert.deepEqual(store.execute('GetItem', { TableName: 'orders', Key: { id: { S: '2' } } }), { body: {} });
    assert.equal(store.size, 1);
    const wrongKey = store.execute('GetItem', { TableName: 'orders', Key: { id: { S: '1' }, x: { S: 'y' } } });
    assert.match((wrongKey as { type: string }).type, /ValidationException$/);
    const noSort = store.execute('PutItem', { TableName: 'events', Item: { pk: { S: 'a' } } });
    assert.match((noSort as { type: string }).type, /ValidationException$/);
  });

  it('refuses bad table names, bad attribute maps and unknown tables before serving', () => {
    const store = new TableStore({ orders: ['id'] });
    assert.match(store.check('GetItem', { TableName: 'x', Key: { id: { S: '1' } } })!.type, /ValidationException$/);
    assert.match(store.check('GetItem', { TableName: 'orders', Key: { id: 'raw' } })!.type, /ValidationException$/);
    assert.match(store.check('PutItem', { TableName: 'nope', Item: { id: { S: '1' } } })!.type, /ResourceNotFound/);
  });

  it('seeds items directly and validates its tables and seeds', () => {
    const store = new TableStore({ orders: ['id'] });
    store.seed('orders', { id: { S: '9' } });
    assert.equal(store.size, 1);
    assert.throws(() => store.seed('nope', { id: { S: '1' } }), invalidArgument);
    assert.throws(() => store.seed('orders', { other: { S: '1' } }), invalidArgument);
    assert.throws(() => new TableStore({ orders: [] }), invalidArgument);
    assert.throws(() => new TableStore({ orders: ['a', 'b', 'c'] }), invalidArgument);
  });
});
