import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getGlobalDispatcher, request, setGlobalDispatcher } from 'undici';
import { isFailsmallError } from '../core/index.js';
import { startHttpServer, startHttpsServer, testCert, suiteServer, labResolver } from '../test-support/client.js';
import { createUndiciAgent } from './undici-agent.js';

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

  it("works with Node's global fetch: the first address is dead, the second serves", async () => {
    const dispatcher = createUndiciAgent({ resolver });
    try {
      const response = await fetch(`http://api.lab.test:${server().port}/x`, { dispatcher } as unknown as RequestInit);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), `GET api.lab.test:${server().port}  via 127.0.0.1`);
      const snapshot = dispatcher.snapshot();
      assert.equal(snapshot.connects, 1);
      assert.equal(snapshot.failovers, 1);
    } finally {
      await dispatcher.close();
    }
  });

  it('sends a request body once, on the address that connected', async () => {
    const dispatcher = createUndiciAgent({ resolver });
    try {
      const response = await fetch(`http://api.lab.test:${server().port}/put`, {
        method: 'POST',
        body: 'payload',
        dispatcher,
      } as unknown as RequestInit);
      assert.equal(await response.text(), `POST api.lab.test:${server().port} payload via 127.0.0.1`);
      const viaUndici = await request(`http://api.lab.test:${server().port}/`, { dispatcher });
      assert.equal(viaUndici.statusCode, 200);
      await viaUndici.body.text();
    } finally {
      await dispatcher.close();
    }
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
    const dispatcher = createUndiciAgent({ resolver, tls: { ca: testCert } });
    try {
      const response = await fetch(`https://api.lab.test:${tlsServer().port}/`, {
        dispatcher,
      } as unknown as RequestInit);
      assert.equal(await response.text(), 'hello from 127.0.0.1');
      await assert.rejects(
        fetch(`https://wrong-name.example:${tlsServer().port}/`, { dispatcher } as unknown as RequestInit),
        (e) => {
          assert.equal((e as Error & { cause: { code: string } }).cause.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
          return true;
        },
      );
    } finally {
      await dispatcher.close();
    }
  });

  it('fails with FS_ERR_CLIENT_CONNECT_FAILED as the cause when no address accepts', async () => {
    const dispatcher = createUndiciAgent({ resolver });
    try {
      await assert.rejects(
        fetch(`http://dead.lab.test:${server().port}/`, { dispatcher } as unknown as RequestInit),
        (e) => {
          assert.ok(e instanceof TypeError);
          assert.ok(isFailsmallError(e.cause, 'FS_ERR_CLIENT_CONNECT_FAILED'));
          return true;
        },
      );
      await assert.rejects(
        fetch(`http://nowhere.lab.test:${server().port}/`, { dispatcher } as unknown as RequestInit),
        (e) => {
          assert.equal((e as Error & { cause: { code: string } }).cause.code, 'ENOTFOUND');
          return true;
        },
      );
    } finally {
      await dispatcher.close();
    }
  });

  it('shares a connector between agents', async () => {
    const a = createUndiciAgent({ resolver });
    const b = createUndiciAgent({ connector: a.connector });
    try {
      assert.equal(b.connector, a.connector);
      await (await fetch(`http://api.lab.test:${server().port}/`, { dispatcher: b } as unknown as RequestInit)).text();
      assert.equal(a.snapshot().connects, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
