/**
 * A managed dependency on loopback for examples/drills/throttling-dependency.yaml: `POST /` (any path)
 * answers 200 with a small DynamoDB-style JSON body; the drill puts the fault proxy in HTTP mode in
 * front of it and makes it throttle. `--port`.
 */
import http from 'node:http';
import { flags, onStop } from './args.js';

const f = flags();
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () =>
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{"Item":{"id":{"S":"1"}}}'),
  );
});
await new Promise<void>((resolve) => server.listen(f.num('port'), '127.0.0.1', resolve));
process.stdout.write(`backend on ${f.num('port')}\n`);
onStop(() => new Promise((r) => server.close(r)));
