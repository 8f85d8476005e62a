import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getGlobalDispatcher, request, setGlobalDispatcher } from 'undici';
import { isFailsmallError } from '../core/index.js';
import {
  startHttpServer,
  startHttpsServer,
  testCert,
  suiteServer,
  labResolver,
  fetchVia,
} from '../test-support/client.js';
import { createUndiciAgent, type FailsmallUndiciAgent, type UndiciAgentOptions } from './undici-agent.js';

describe('createUndiciAgent', () => {
  const resolver = labResolver();
  const server = suiteServer(() =>
    startHttpServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => res.end(`${req.method} ${req.headers.host} ${body} via ${req.socket.localAddress}`));
    }),
  );
  const tlsServer = suiteServer(() => startHttpsServer());

  /** Runs `body` with an agent built from `options`, closed after. */
  async function withAgent(
    options: UndiciAgentOptions,
    body: (dispatcher: FailsmallUndiciAgent) => Promise<void>,
  ): Promise<void> {
    const dispatcher = createUndiciAgent(options);
    try {
      await body(dispatcher);
    } finally {
      await dispatcher.close();
    }
  }

  /** Checks a rejected fetch: undici's TypeError carries the connect error as its `cause`. */
  const causedBy = (code: string) => (e: unknown) => {
    assert.equal((e as Error & { cause: { code: string } }).cause.code, code);
    return true;
  };

  it("works with Node's global fetch: the first address is dead, the second serves", async () => {
    await withAgent({ resolver }, async (dispatcher) => {
      const response = await fetchVia(`http://api.lab.test:${server().port}/x`, dispatcher);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), `GET api.lab.test:${server().port}  via 127.0.0.1`);
      const snapshot = dispatcher.snapshot();
      assert.equal(snapshot.connects, 1);
      assert.equal(snapshot.failovers, 1);
    });
  });

  it('sends a request body once, on the address that connected', async () => {
    await withAgent({ resolver }, async (dispatcher) => {
      const response = await fetchVia(`http://api.lab.test:${server().port}/put`, dispatcher, {
        method: 'POST',
        body: 'payload',
      });
      assert.equal(await response.text(), `POST api.lab.test:${server().port} payload via 127.0.0.1`);
      const viaUndici = await request(`http://api.lab.test:${server().port}/`, { dispatcher });
      assert.equal(viaUndici.statusCode, 200);
      await viaUndici.body.text();
    });
  });

  it('serves as the global dispatcher', async () => {
    const previous = getGlobalDispatcher();
    const dispatcher = createUndiciAgent({ resolver });
    setGlobalDispatcher(dispatcher);
    try {
      const response = await fetch(`http://api.lab.test:${server().port}/`);
      assert.equal(response.status, 200);
      await response.text();
    } finally {
      setGlobalDispatcher(previous);
      await dispatcher.close();
    }
  });

  it('speaks TLS by name: SNI and certificate checks use the host name, not the address', async () => {
    await withAgent({ resolver, tls: { ca: testCert } }, async (dispatcher) => {
      const response = await fetchVia(`https://api.lab.test:${tlsServer().port}/`, dispatcher);
      assert.equal(await response.text(), 'hello from 127.0.0.1');
      await assert.rejects(
        fetchVia(`https://wrong-name.example:${tlsServer().port}/`, dispatcher),
        causedBy('ERR_TLS_CERT_ALTNAME_INVALID'),
      );
    });
  });

  it('fails with FS_ERR_CLIENT_CONNECT_FAILED as the cause when no address accepts', async () => {
    await withAgent({ resolver }, async (dispatcher) => {
      await assert.rejects(fetchVia(`http://dead.lab.test:${server().port}/`, dispatcher), (e) => {
        assert.ok(e instanceof TypeError);
        assert.ok(isFailsmallError(e.cause, 'FS_ERR_CLIENT_CONNECT_FAILED'));
        return true;
      });
      await assert.rejects(fetchVia(`http://nowhere.lab.test:${server().port}/`, dispatcher), causedBy('ENOTFOUND'));
    });
  });

  it('shares a connector between agents', async () => {
    const a = createUndiciAgent({ resolver });
    const b = createUndiciAgent({ connector: a.connector });
    try {
      assert.equal(b.connector, a.connector);
      await (await fetchVia(`http://api.lab.test:${server().port}/`, b)).text();
      assert.equal(a.snapshot().connects, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
