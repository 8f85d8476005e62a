import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as DnsPacket from 'dns-packet';
import { isFailsmallError } from './errors.js';
import { importPeer, lazyPeer, MISSING_PEER, requirePeer } from './optional-peer.js';

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

describe('requirePeer and lazyPeer', () => {
  it('requirePeer loads an installed package synchronously, or names the one to install', () => {
    assert.equal(typeof requirePeer<typeof DnsPacket>('dns-packet', 'the test').encode, 'function');
    assert.throws(
      () => requirePeer('failsmall-no-such-package', 'the feature'),
      (error: unknown) =>
        isFailsmallError(error, MISSING_PEER) &&
        error.details?.['package'] === 'failsmall-no-such-package' &&
        error.details['installed'] === false,
    );
  });

  it('lazyPeer builds on the first call only, and retries a missing package at each call', () => {
    let builds = 0;
    const encode = lazyPeer('dns-packet', 'the test', (packet: typeof DnsPacket) => (builds++, packet.encode));
    assert.equal(builds, 0);
    assert.equal(encode(), encode());
    assert.equal(builds, 1);
    const missing = lazyPeer('failsmall-no-such-package', 'the feature', () => (builds++, 1));
    assert.throws(missing, (error: unknown) => isFailsmallError(error, MISSING_PEER));
    assert.throws(missing, (error: unknown) => isFailsmallError(error, MISSING_PEER));
    assert.equal(builds, 1);
  });
});
