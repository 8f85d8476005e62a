import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostnameOrUndefined } from '../dns/hostname.js';
import { normalizeName as planName } from '../plan/plan-body.js';
import { normalizeName as chaosName } from './zone-schema.js';

// One hostname rule (dns/hostname.ts): the fault server and the planner accept exactly the names the
// resolver accepts, so neither serves nor publishes a name the resolver refuses.
describe('one hostname rule for dns, plan and chaos', () => {
  it('accepts and refuses the same names everywhere; only the root differs, explicitly', () => {
    const names = [
      'API.Example.COM.',
      'a-b.test',
      '-bad.test',
      'bad-.test',
      'a..b',
      'x'.repeat(64),
      '_srv.test',
      'é.test',
    ];
    for (const name of names) {
      const expected = hostnameOrUndefined(name);
      assert.equal(planName(name), expected, `plan: ${name}`);
      assert.equal(chaosName(name), expected, `chaos: ${name}`);
    }
    assert.equal(hostnameOrUndefined('-bad.test'), undefined);
    // The root is a zone apex for the fault server, no name for a plan or the resolver.
    assert.equal(chaosName('.'), '');
    assert.equal(chaosName(''), '');
    assert.equal(planName('.'), undefined);
    assert.equal(hostnameOrUndefined('.'), undefined);
  });
});
