/**
 * The drill target of examples/drills/region-failover.yaml: two loopback "regions" and a switch.
 *
 * `regions.ts region --port=P --peer=URL --lag-ms=300`: a key-value store (`PUT /kv/{key}` stores the
 * body and acknowledges at once; `GET /kv/{key}`; `GET /kv` every pair) that replicates each write to
 * its peer asynchronously, in batches every `lag-ms` (so a region killed with kill -9 loses the writes
 * of its last batch: the RPO a drill measures), and pulls its peer's pairs when it starts (a restarted
 * region catches up before a failback). `POST /flush` replicates what is pending now and answers 200
 * once the peer has it (503 when the peer cannot be reached).
 *
 * `regions.ts switch --port=P --a=URL --b=URL --active=a`: forwards `/kv/*` to the active region;
 * `POST /switch {"active": "a"|"b"}` moves it (the failover and failback control call). A switch is
 * drained, as a planned failback should be: requests that arrive meanwhile wait, the ones already
 * forwarded finish, and the region being left flushes its replication before the new one takes
 * writes, so a switch away from a live region loses nothing (unless its flush takes over 10 s). When the
 * region being left is dead (a failover), its flush fails and the switch goes ahead: what it had not
 * replicated is the failover's RPO.
 */
import http from 'node:http';
import { flags, onStop } from './args.js';
import { readBody } from './read-body.js';

const role = process.argv[2];
const f = flags(process.argv.slice(3));

async function send(
  method: string,
  url: string,
  body?: string,
  timeoutMs = 1_000,
): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(url, {
      method,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 502, text: 'unreachable' };
  }
}

let server: http.Server;
if (role === 'region') {
  const peer = f.get('peer').replace(/\/+$/, '');
  const lagMs = f.num('lag-ms', 300);
  const data = new Map<string, string>();
  let pending: [string, string][] = [];
  const initial = await send('GET', `${peer}/kv`);
  if (initial.status === 200)
    for (const [k, v] of Object.entries(JSON.parse(initial.text) as Record<string, string>)) data.set(k, v);
  // One replication at a time, in order; true when nothing was left pending.
  let replicating: Promise<boolean> = Promise.resolve(true);
  const replicate = (): Promise<boolean> =>
    (replicating = replicating.then(async () => {
      if (pending.length === 0) return true;
      const batch = pending;
      pending = [];
      const r = await send('POST', `${peer}/replicate`, JSON.stringify(batch));
      if (r.status !== 200) pending.unshift(...batch); // the peer is down: keep them for later
      return r.status === 200 && pending.length === 0;
    }));
  const timer = setInterval(() => void replicate(), lagMs);
  server = http.createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/';
      const body = await readBody(req);
      const m = /^\/kv\/(.+)$/.exec(url);
      if (url === '/kv' && req.method === 'GET')
        return void res.writeHead(200).end(JSON.stringify(Object.fromEntries(data)));
      if (url === '/flush' && req.method === 'POST') {
        return void res.writeHead((await replicate()) ? 200 : 503).end(JSON.stringify({ pending: pending.length }));
      }
      if (url === '/replicate' && req.method === 'POST') {
        for (const [k, v] of JSON.parse(body) as [string, string][]) data.set(k, v);
        return void res.writeHead(200).end('{}');
      }
      if (m !== null && req.method === 'PUT') {
        data.set(m[1]!, body);
        pending.push([m[1]!, body]);
        return void res.writeHead(204).end();
      }
      if (m !== null && req.method === 'GET') {
        const v = data.get(m[1]!);
        return void (v === undefined
          ? res.writeHead(404).end()
          : res.writeHead(200, { 'content-type': 'text/plain' }).end(v));
      }
      res.writeHead(url === '/ready' ? 200 : 404).end();
    })();
  });
  onStop(async () => {
    clearInterval(timer);
    await new Promise((r) => server.close(r));
  });
} else if (role === 'switch') {
  const regions: Record<string, string> = { a: f.get('a').replace(/\/+$/, ''), b: f.get('b').replace(/\/+$/, '') };
  let active = f.get('active', 'a');
  let switching: Promise<void> | undefined; // while set, new requests wait for the switch
  let forwarding = 0; // requests forwarded and not yet answered
  let idle: (() => void) | undefined; // resolves the switch's wait for `forwarding` to reach 0
  const drainedSwitch = async (next: string): Promise<boolean> => {
    while (forwarding > 0) await new Promise<void>((r) => (idle = r));
    const flushed =
      next === active || (await send('POST', `${regions[active]}/flush`, undefined, 10_000)).status === 200;
    active = next;
    return flushed;
  };
  server = http.createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/';
      const body = await readBody(req);
      while (switching !== undefined) await switching;
      if (url === '/switch' && req.method === 'POST') {
        const next = (JSON.parse(body) as { active?: string }).active;
        if (next === undefined || !(next in regions))
          return void res.writeHead(400).end('{"error":"active: expected a or b"}');
        const done = drainedSwitch(next);
        switching = done.then(() => (switching = undefined));
        const flushed = await done;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ active, flushed }));
      }
      if (url === '/ready') return void res.writeHead(200).end(JSON.stringify({ active }));
      forwarding++;
      try {
        const answer = await send(
          req.method ?? 'GET',
          `${regions[active]}${url}`,
          req.method === 'PUT' ? body : undefined,
        );
        res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.text);
      } finally {
        if (--forwarding === 0) idle?.();
      }
    })();
  });
  onStop(() => new Promise((r) => server.close(r)));
} else {
  process.stderr.write('usage: regions.js region|switch --port=P …\n');
  process.exit(2);
}
await new Promise<void>((resolve) => server.listen(f.num('port'), '127.0.0.1', resolve));
process.stdout.write(`${role} on ${f.num('port')}\n`);
