import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFailsmallError } from '../core/errors.js';
import { checkJournalQuery, checkPlanDeletion, checkPlanQuery, checkPlanWrite } from './store-checks.js';

const invalidArgument = (error: unknown): boolean => isFailsmallError(error, 'FS_ERR_INVALID_ARGUMENT');

describe('store argument checks shared by every PlanStore', () => {
  it('checkPlanQuery returns the bounds given and rejects non-finite ones', () => {
    assert.deepEqual(checkPlanQuery({}), { below: undefined, above: undefined });
    assert.deepEqual(checkPlanQuery({ below: 5, above: 1 }), { below: 5, above: 1 });
    assert.throws(() => checkPlanQuery({ below: NaN }), invalidArgument);
    assert.throws(() => checkPlanQuery({ above: '2' as unknown as number }), invalidArgument);
  });

  it('checkPlanDeletion checks `below` and every kept generation', () => {
    assert.deepEqual(checkPlanDeletion({ below: 6 }), { below: 6, except: [] });
    assert.deepEqual(checkPlanDeletion({ below: 6, except: [2, 4] }), { below: 6, except: [2, 4] });
    assert.throws(() => checkPlanDeletion({ below: Infinity }), invalidArgument);
    assert.throws(() => checkPlanDeletion({ below: 6, except: ['2' as unknown as number] }), invalidArgument);
  });

  it('checkPlanWrite checks target and time, and serialises the body only for a store that copies', () => {
    const meta = { at: 5, by: 'planner' };
    assert.deepEqual(checkPlanWrite('t', { n: 1 }, meta, true), {
      at: 5,
      by: 'planner',
      body: { n: 1 },
      text: '{"n":1}',
    });
    assert.equal(checkPlanWrite('t', { n: 1 }, meta, false).text, '');
    assert.throws(() => checkPlanWrite('', {}, meta, true), invalidArgument);
    assert.throws(() => checkPlanWrite('t', {}, { at: NaN, by: 'p' }, false), invalidArgument);
    assert.throws(() => checkPlanWrite('t', { n: 1n } as never, meta, true), invalidArgument);
  });

  it('checkJournalQuery fills in the defaults and rejects bad fields', () => {
    assert.deepEqual(checkJournalQuery({}), {
      afterSeq: 0,
      target: undefined,
      decision: undefined,
      limit: undefined,
      newestFirst: false,
    });
    assert.deepEqual(
      checkJournalQuery({ afterSeq: 3, target: 't', decision: 'applied', limit: 0, newestFirst: true }),
      { afterSeq: 3, target: 't', decision: 'applied', limit: 0, newestFirst: true },
    );
    assert.throws(() => checkJournalQuery({ afterSeq: -1 }), invalidArgument);
    assert.throws(() => checkJournalQuery({ limit: 1.5 }), invalidArgument);
    assert.throws(() => checkJournalQuery({ target: '' }), invalidArgument);
    assert.throws(() => checkJournalQuery({ decision: 'maybe' as never }), invalidArgument);
  });
});
