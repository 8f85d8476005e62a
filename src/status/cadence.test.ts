import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFailsmallError } from '../core/errors.js';
import { cadence, cadenceStatus, nextUpdateDue } from './cadence.js';
import type { Incident, IncidentUpdate } from './model.js';

const MIN = 60_000;
const update = (at: number): IncidentUpdate => ({
  id: `u${at}`,
  status: 'investigating',
  body: 'b',
  whatYouCanDo: null,
  at,
  affected: [],
});
const incident = (ats: number[], status: Incident['status'] = 'investigating'): Incident => ({
  id: 'i',
  name: 'n',
  status,
  impact: 'minor',
  createdAt: ats[0]!,
  updatedAt: ats.at(-1)!,
  monitoringAt: null,
  resolvedAt: null,
  componentIds: [],
  updates: ats.map(update),
});

describe('update cadence', () => {
  it('is due 15 min after the start, then 60 min after the next update, then every 120 min', () => {
    const c = cadence();
    assert.equal(nextUpdateDue(incident([0]), c), 15 * MIN);
    assert.equal(nextUpdateDue(incident([0, 10 * MIN]), c), 70 * MIN);
    assert.equal(nextUpdateDue(incident([0, 10 * MIN, 70 * MIN]), c), 190 * MIN);
    assert.equal(nextUpdateDue(incident([0, 10 * MIN, 70 * MIN, 100 * MIN]), c), 220 * MIN);
    assert.equal(nextUpdateDue(incident([0, 1], 'resolved'), c), undefined);
  });

  it('is ok, then due 5 min ahead, then overdue', () => {
    const c = cadence();
    const i = incident([0]);
    assert.equal(cadenceStatus(i, 9 * MIN, c)!.state, 'ok');
    assert.equal(cadenceStatus(i, 10 * MIN, c)!.state, 'due');
    assert.deepEqual(cadenceStatus(i, 17 * MIN, c), {
      incidentId: 'i',
      name: 'n',
      dueAt: 15 * MIN,
      state: 'overdue',
      lateByMs: 2 * MIN,
    });
  });

  it('is configurable, and refuses bad options with exact messages', () => {
    assert.equal(nextUpdateDue(incident([0, 5]), cadence({ intervalsMs: [1_000] })), 1_005);
    const bad = (options: object, message: string) =>
      assert.throws(
        () => cadence(options),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT') && e.message === message,
      );
    bad({ intervalsMs: [] }, 'Expected `intervalsMs` to be a non-empty array of numbers > 0, got []');
    bad({ intervalsMs: [10, -1] }, 'Expected `intervalsMs[1]` to be a finite number > 0, got -1');
    bad({ dueSoonMs: -1 }, 'Expected `dueSoonMs` to be a finite number >= 0, got -1');
    bad({ every: 1 }, 'Unknown option `every`');
  });
});
