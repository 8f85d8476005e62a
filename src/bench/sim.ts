/**
 * `npm run bench -- sim`: events per second of the simulator's OCC and collapse models against a
 * plain-JavaScript baseline of the same OCC model in the same run (events as objects in a simple
 * binary heap of objects, a closure per event kind), and the ratio. Prints a table, then one JSON line.
 */
import { NormalPairs, seededRandom } from '../core/random.js';
import { fullJitter } from '../policy/retry/backoff.js';
import { runCollapse } from '../sim/models/collapse.js';
import { runOcc } from '../sim/models/occ.js';
import { printTable } from './harness.js';

interface Ev {
  t: number;
  seq: number;
  run: () => void;
}

/** A plain binary heap of event objects. */
class ObjectHeap {
  items: Ev[] = [];
  push(e: Ev): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.t < e.t || (a[p]!.t === e.t && a[p]!.seq < e.seq)) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = e;
  }
  pop(): Ev | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= a.length) break;
        if (c + 1 < a.length && (a[c + 1]!.t < a[c]!.t || (a[c + 1]!.t === a[c]!.t && a[c + 1]!.seq < a[c]!.seq))) c++;
        if (last.t < a[c]!.t || (last.t === a[c]!.t && last.seq < a[c]!.seq)) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** The OCC model written the plain way: client objects, a closure per event. Returns events. */
function baselineOcc(clients: number, trials: number): { events: number; wall: number; calls: number } {
  const backoff = fullJitter({ base: 5, cap: 2_000 });
  let events = 0;
  let calls = 0;
  const started = performance.now();
  for (let trial = 0; trial < trials; trial++) {
    const random = seededRandom(1 + trial);
    const heap = new ObjectHeap();
    let seq = 0;
    let now = 0;
    let version = 0;
    const at = (delay: number, run: () => void) => heap.push({ t: now + delay, seq: seq++, run });
    const normal = new NormalPairs(random); // the same draws as the model's
    const net = () => Math.abs(normal.next(10, 2));
    for (let c = 0; c < clients; c++) {
      const client = { attempt: 0, previous: 0, read: 0 };
      const start = (): void =>
        at(net(), () => {
          client.read = version;
          at(net(), () => {
            calls++;
            at(net(), () => {
              if (client.read === version) {
                version++;
                at(net(), () => undefined);
              } else
                at(net(), () => {
                  const d = backoff.next(++client.attempt, client.previous, random);
                  client.previous = d;
                  at(d, start);
                });
            });
          });
        });
      at(0, start);
    }
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
      now = e.t;
      events++;
      e.run();
    }
  }
  return { events, wall: (performance.now() - started) / 1000, calls };
}

const CLIENTS = 1_000;
const TRIALS = 4;
// Warm up both, then measure interleaved rounds and keep the best of each (least disturbed by neighbours).
runOcc({ clients: 200, strategy: 'exponential', trials: 2 });
baselineOcc(200, 2);
let sim = 0;
let base = 0;
let collapse = 0;
let simEvents = 0;
for (let round = 0; round < 5; round++) {
  const r = runOcc({ clients: CLIENTS, strategy: 'exponential', trials: TRIALS });
  simEvents = r.events;
  sim = Math.max(sim, r.events_per_s);
  const b = baselineOcc(CLIENTS, TRIALS);
  base = Math.max(base, b.events / b.wall);
  let events = 0;
  let wall = 0;
  for (let seed = 1; seed <= 5; seed++) {
    const c = runCollapse({ seed, backoff: 'none', horizonS: 300 });
    events += c.events;
    wall += c.wall_s;
  }
  collapse = Math.max(collapse, events / wall);
}
printTable('sim: events per second (best of 5 interleaved rounds, one core)', [
  ['occ (typed-array heap, failsmall backoff)', `${(sim / 1e6).toFixed(2)} M/s (${simEvents} events per run)`],
  ['occ plain JS (object heap, closures)', `${(base / 1e6).toFixed(2)} M/s`],
  ['ratio', `${(sim / base).toFixed(2)}×`],
  ['collapse (no backoff, 300 s)', `${(collapse / 1e6).toFixed(2)} M/s`],
]);
console.log(
  JSON.stringify({
    bench: 'sim',
    occ_events_per_s: Math.round(sim),
    occ_baseline_events_per_s: Math.round(base),
    occ_ratio: +(sim / base).toFixed(3),
    collapse_events_per_s: Math.round(collapse),
    clients: CLIENTS,
    trials: TRIALS,
  }),
);
