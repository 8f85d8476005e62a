import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as DnsPacket from 'dns-packet';
import { isFailsmallError } from './errors.js';
import { importPeer, MISSING_PEER } from './optional-peer.js';

describe('importPeer', () => {
  it('loads an installed package once and shares the import', async () => {
    const a = await importPeer<typeof DnsPacket>('dns-packet', 'the test');
    const b = await importPeer<typeof DnsPacket>('dns-packet', 'the test');
    assert.equal(a, b);
    assert.equal(typeof a.encode, 'function');
  });

  it('names the package to install when it is missing', async () => {
    await assert.rejects(importPeer('failsmall-no-such-package', 'the feature'), (error: unknown) => {
      assert.ok(isFailsmallError(error, MISSING_PEER));
      assert.deepEqual(error.details, {
        package: 'failsmall-no-such-package',
        feature: 'the feature',
        installed: false,
      });
      assert.match(error.message, /npm install failsmall-no-such-package/);
      return true;
    });
  });
});
