import assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import { describe, it } from 'node:test';
import { startFaultDnsServer } from './index.js';

describe('failsmall/testing', () => {
  it('starts the fault DNS server on loopback on first use', async () => {
    const server = await startFaultDnsServer({
      zones: [
        {
          name: 'example.test',
          records: [{ name: 'www.example.test', type: 'A', ttl: 60, records: [{ value: '127.0.0.9' }] }],
        },
      ],
    });
    try {
      const resolver = new dns.Resolver({ timeout: 2_000, tries: 1 });
      resolver.setServers([server.dnsServer]);
      assert.deepEqual(await resolver.resolve4('www.example.test'), ['127.0.0.9']);
    } finally {
      await server.close();
    }
  });
});
