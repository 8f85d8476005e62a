import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Component } from './model.js';
import { uptimeBar, uptimeShare } from './uptime.js';

const DAY = 86_400_000;
const component = (createdAt: number): Component => ({
  id: 'api',
  name: 'API',
  description: null,
  group: 'g',
  position: 0,
  status: 'operational',
  createdAt,
  updatedAt: createdAt,
});

describe('uptime bar', () => {
  it('has 90 UTC days, none before the component existed, and the share up per day', () => {
    const now = 100 * DAY + DAY / 2; // noon of day 100
    const c = component(98 * DAY);
    const events = [
      { componentId: 'api', at: 98 * DAY, status: 'operational' as const },
      { componentId: 'api', at: 99 * DAY + DAY / 4, status: 'major_outage' as const },
      { componentId: 'api', at: 99 * DAY + DAY / 2, status: 'operational' as const },
      { componentId: 'other', at: 99 * DAY, status: 'major_outage' as const },
    ];
    const bar = uptimeBar(c, events, now);
    assert.equal(bar.length, 90);
    assert.equal(bar[0]!.day, new Date(11 * DAY).toISOString().slice(0, 10));
    assert.deepEqual(bar.slice(-4), [
      { day: new Date(97 * DAY).toISOString().slice(0, 10), uptime: null, worst: null },
      { day: new Date(98 * DAY).toISOString().slice(0, 10), uptime: 1, worst: 'operational' },
      { day: new Date(99 * DAY).toISOString().slice(0, 10), uptime: 0.75, worst: 'major_outage' },
      { day: new Date(100 * DAY).toISOString().slice(0, 10), uptime: 1, worst: 'operational' },
    ]);
    assert.equal(uptimeShare(bar), (1 + 0.75 + 1) / 3);
  });

  it('counts planned maintenance as up', () => {
    const bar = uptimeBar(component(0), [{ componentId: 'api', at: DAY / 2, status: 'under_maintenance' }], DAY - 1, 1);
    assert.deepEqual(bar, [{ day: '1970-01-01', uptime: 1, worst: 'under_maintenance' }]);
  });
});
