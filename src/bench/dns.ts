/**
 * `npm run bench -- dns`: the failsmall resolver beside cacheable-lookup and node's c-ares resolver,
 * in one process, against one DNS server on loopback (the chaos lab's fault DNS server).
 *
 * 1. Cached lookups: `resolver.lookup` vs `cacheableLookup.lookup` (pointed at the same server
 *    through a `dns.promises.Resolver` with `setServers`) and vs the floor of any cached lookup, a
 *    bare `Map` hit calling back in a microtask; all called through their callback API, in batches
 *    (issue 100 lookups, wait for the 100 callbacks): ns per lookup, median of rounds; and one
 *    awaited lookup at a time (includes a promise per call on every side). All three sides run in
 *    every round (5 interleaved rounds); each ratio is taken within a round, then the median over
 *    rounds. Beside them, each side's own promise API awaited one at a time: `resolver.resolve` vs
 *    `cacheableLookup.lookupAsync` vs an already resolved promise of the Map hit (`awaited_*`). The
 *    Map hit's own ratio to cacheable-lookup in each way of calling (`map_speedup_*`) is the ceiling
 *    of failsmall's speed-up there: no cached lookup is cheaper than the Map hit, and the promise per
 *    call that the one-at-a-time ways add is the same on every side. Cached lookups are timed in
 *    CPU time (they never wait for I/O; the wall-clock twins of the one-at-a-time ratios are
 *    `wall_*`). `cached_vs_map` is failsmall ÷ the Map hit and `cached_speedup` cacheable-lookup ÷
 *    failsmall, each the less favourable of the two ways of calling the callback API (the `_batch`
 *    and `_sequential` fields give both).
 * 2. Uncached lookups: failsmall's wire client vs `dns.Resolver.resolve4` (c-ares), one at a time,
 *    each for a new name (a wildcard record), interleaved rounds: ns per lookup, median of rounds.
 * 3. The empty window: the record is emptied (NOERROR with no answer), then deleted (NXDOMAIN); after
 *    the TTL has run out, so both must ask the server, the same number of lookups is made through
 *    each, and the ones answered with an address are counted.
 *
 * Prints a table and, last, one JSON line. Real time (it is a benchmark, not a test), bounded in
 * count and time; short TTLs (1 s) so the empty window needs only a few seconds.
 */
import dns from 'node:dns';
import CacheableLookup from 'cacheable-lookup';
import { startFaultDnsServer } from '../chaos/index.js';
import { Resolver, WireClient } from '../dns/index.js';
import { median, printTable } from './harness.js';

type Lookup = (
  hostname: string,
  options: dns.LookupOptions,
  callback: (error: unknown, address?: unknown, family?: number) => void,
) => void;

const NAME = 'api.bench.test';
/** The name emptied in part 3 (its own, so no cached copy from part 1 outlives its TTL). */
const EMPTIED = 'db.bench.test';
const TTL = 1; // seconds

/**
 * CPU time (ns) of this process since `start` (user + system, its other threads included). Cached
 * lookups never wait for I/O, so their cost is CPU time; on a shared machine the wall clock would
 * also count the time this process waited for a core.
 */
function cpuNsSince(start: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) * 1000;
}

/** ns per call of a callback API: `batch` calls issued back to back, then their callbacks awaited. */
async function cachedNs(lookup: Lookup, options: dns.LookupOptions, budgetMs: number, batch = 100): Promise<number> {
  const runBatch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      let left = batch;
      const done = (error: unknown): void => {
        if (error) reject(error as Error);
        else if (--left === 0) resolve();
      };
      for (let i = 0; i < batch; i++) lookup(NAME, options, done);
    });
  for (let i = 0; i < 200; i++) await runBatch(); // warm up (JIT)
  const rounds: number[] = [];
  const until = Date.now() + budgetMs;
  while (rounds.length < 5 || (Date.now() < until && rounds.length < 50)) {
    const batches = 100;
    const start = process.cpuUsage();
    for (let b = 0; b < batches; b++) await runBatch();
    rounds.push(cpuNsSince(start) / (batches * batch));
  }
  return median(rounds);
}

/** The wall-clock twin of the last {@link cachedSequentialNs} (ns per call, median of its rounds). */
let lastWallNs = NaN;

/** CPU ns per call of `one`, awaited one call at a time (a connect at a time); see `lastWallNs`. */
async function sequentialNs(one: () => Promise<unknown>, calls: number): Promise<number> {
  for (let i = 0; i < 10_000; i++) await one();
  const rounds: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = process.cpuUsage();
    const wallStart = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await one();
    wall.push(Number(process.hrtime.bigint() - wallStart) / calls);
    rounds.push(cpuNsSince(start) / calls);
  }
  lastWallNs = median(wall);
  return median(rounds);
}

/** {@link sequentialNs} of a callback API, wrapped in a promise per call. */
function cachedSequentialNs(lookup: Lookup, options: dns.LookupOptions, calls: number): Promise<number> {
  return sequentialNs(() => new Promise((resolve) => lookup(NAME, options, resolve)), calls);
}

let unique = 0;
/** ns per uncached lookup, one at a time, each for a new name. */
async function uncachedNs(resolve4: (name: string) => Promise<unknown>, count: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await resolve4(`u${unique++}.wild.bench.test`);
  return Number(process.hrtime.bigint() - start) / count;
}

/** The floor of every way of calling: a `Map` hit. */
const mapHit = new Map([[NAME, { address: '10.0.0.1', family: 4 }]]);

/** The floor of the callback API: a {@link mapHit} that calls back in a microtask, as a cached `lookup` must. */
function mapLookup(): Lookup {
  return (hostname, _options, callback) => {
    const hit = mapHit.get(hostname);
    if (hit === undefined) queueMicrotask(() => callback(new Error('miss')));
    else queueMicrotask(() => callback(null, hit.address, hit.family));
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const emptied = {
  name: EMPTIED,
  type: 'A',
  ttl: TTL,
  records: [{ value: '10.0.0.3' }, { value: '10.0.0.4' }],
} as const;
const server = await startFaultDnsServer({
  zones: [
    {
      name: 'bench.test',
      records: [
        { name: NAME, type: 'A', ttl: 3_600, records: [{ value: '10.0.0.1' }, { value: '10.0.0.2' }] },
        emptied,
      ],
    },
  ],
});
// Every name below wild.bench.test answers (a fault rule: the zone itself has no wildcards).
server.addFault({ name: '*.wild.bench.test', type: 'A', action: 'wrong-address', address: '10.0.0.9', ttl: 60 });
// Hold-down longer than the bench, no second opinion: the guard keeps the set for the whole window.
const resolver = new Resolver({ upstreams: [server.dnsServer], guard: { confirmations: 0 } });
const cares = new dns.promises.Resolver({ timeout: 2_000, tries: 1 });
cares.setServers([server.dnsServer]);
// fallbackDuration 0: never fall back to the OS resolver (no network outside loopback).
const cacheable = new CacheableLookup({ resolver: cares, fallbackDuration: 0 });
const wire = new WireClient({ server: server.dnsServer });
const caresUncached = new dns.promises.Resolver({ timeout: 2_000, tries: 1 });
caresUncached.setServers([server.dnsServer]);

try {
  // --- 1. cached ------------------------------------------------------------------------------
  // A long TTL for this part, so that no lookup is a miss.
  const failsmallLookup = resolver.lookup as unknown as Lookup;
  const cacheableLookup = cacheable.lookup.bind(cacheable) as unknown as Lookup;
  await new Promise((resolve) => failsmallLookup(NAME, { family: 4 }, resolve));
  await new Promise((resolve) => cacheableLookup(NAME, { family: 4 }, resolve));
  const bareMap = mapLookup();
  const cacheableAsync = cacheable.lookupAsync.bind(cacheable);
  // Interleaved rounds, so that a slower phase of the machine weighs on every side alike: every side
  // in every round, and each ratio taken within its round (then the median over rounds).
  const cachedRound = async () => {
    const map = await cachedNs(bareMap, { family: 4 }, 300);
    const failsmall = await cachedNs(failsmallLookup, { family: 4 }, 300);
    const cacheable = await cachedNs(cacheableLookup, { family: 4 }, 300);
    const mapSeq = await cachedSequentialNs(bareMap, { family: 4 }, 20_000);
    const mapSeqWall = lastWallNs;
    const failsmallSeq = await cachedSequentialNs(failsmallLookup, { family: 4 }, 20_000);
    const failsmallSeqWall = lastWallNs;
    const cacheableSeq = await cachedSequentialNs(cacheableLookup, { family: 4 }, 5_000);
    const cacheableSeqWall = lastWallNs;
    const mapAwaited = await sequentialNs(() => Promise.resolve(mapHit.get(NAME)), 20_000);
    const failsmallAwaited = await sequentialNs(() => resolver.resolve(NAME, { family: 4 }), 20_000);
    const cacheableAwaited = await sequentialNs(() => cacheableAsync(NAME, { family: 4 }), 5_000);
    return {
      map,
      failsmall,
      cacheable,
      mapSeq,
      failsmallSeq,
      cacheableSeq,
      mapAwaited,
      failsmallAwaited,
      cacheableAwaited,
      vsMapBatch: failsmall / map,
      vsMapSeq: failsmallSeq / mapSeq,
      vsMapAwaited: failsmallAwaited / mapAwaited,
      speedupBatch: cacheable / failsmall,
      speedupSeq: cacheableSeq / failsmallSeq,
      speedupAwaited: cacheableAwaited / failsmallAwaited,
      mapSpeedupBatch: cacheable / map,
      mapSpeedupSeq: cacheableSeq / mapSeq,
      mapSpeedupAwaited: cacheableAwaited / mapAwaited,
      wallVsMapSeq: failsmallSeqWall / mapSeqWall,
      wallSpeedupSeq: cacheableSeqWall / failsmallSeqWall,
    };
  };
  const rounds: Awaited<ReturnType<typeof cachedRound>>[] = [];
  for (let round = 0; round < 5; round++) rounds.push(await cachedRound());
  const medianOf = (key: keyof (typeof rounds)[number]): number => median(rounds.map((r) => r[key]));
  const mapCached = medianOf('map');
  const failsmallCached = medianOf('failsmall');
  const mapCachedSeq = medianOf('mapSeq');
  const failsmallCachedSeq = medianOf('failsmallSeq');
  const cacheableCached = medianOf('cacheable');
  const cacheableCachedSeq = medianOf('cacheableSeq');
  const failsmallCachedAll = await cachedNs(failsmallLookup, { all: true }, 1_000);
  const cacheableCachedAll = await cachedNs(cacheableLookup, { all: true }, 1_000);

  // --- 2. uncached ----------------------------------------------------------------------------
  await uncachedNs((n) => wire.resolve(n, 4), 300);
  await uncachedNs((n) => caresUncached.resolve4(n), 300);
  const wireRounds: number[] = [];
  const caresRounds: number[] = [];
  for (let round = 0; round < 7; round++) {
    wireRounds.push(await uncachedNs((n) => wire.resolve(n, 4), 500));
    caresRounds.push(await uncachedNs((n) => caresUncached.resolve4(n), 500));
  }
  const failsmallUncached = median(wireRounds);
  const caresUncachedNs = median(caresRounds);
  const resolverMiss = await uncachedNs((n) => resolver.resolve(n, { family: 4 }), 500);

  // --- 3. the empty window --------------------------------------------------------------------
  // Both resolvers learn the record, with its short TTL.
  await new Promise((resolve) => failsmallLookup(EMPTIED, { family: 4 }, resolve));
  await new Promise((resolve) => cacheableLookup(EMPTIED, { family: 4 }, resolve));
  const perPhase = 100;
  let failsmallAnswered = 0;
  let cacheableAnswered = 0;
  const answered = (lookup: Lookup): Promise<boolean> =>
    new Promise((resolve) =>
      lookup(EMPTIED, { family: 4 }, (error, address) => resolve(!error && typeof address === 'string')),
    );
  for (const phase of ['empty', 'nxdomain'] as const) {
    if (phase === 'empty') server.addFault({ id: 'empty', name: EMPTIED, action: 'empty' });
    else {
      server.faults.remove('empty');
      server.applyChanges('bench.test', { changes: [{ action: 'DELETE', recordSet: emptied }] });
    }
    await sleep(TTL * 1_000 + 100); // every cached copy has expired: both must ask the server
    for (let i = 0; i < perPhase; i++) {
      if (await answered(failsmallLookup)) failsmallAnswered++;
      if (await answered(cacheableLookup)) cacheableAnswered++;
      await sleep(10); // spread over ~1 s, across TTL boundaries
    }
  }
  const lookupsDuringEmpty = perPhase * 2;
  const snap = resolver.snapshot();

  const us = (ns: number): string => `${(ns / 1000).toFixed(1)} µs`;
  const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
  const vsMapBatch = ratio(medianOf('vsMapBatch'), 1);
  const vsMapSeq = ratio(medianOf('vsMapSeq'), 1);
  const speedupBatch = ratio(medianOf('speedupBatch'), 1);
  const speedupSeq = ratio(medianOf('speedupSeq'), 1);
  const vsMapAwaited = ratio(medianOf('vsMapAwaited'), 1);
  const speedupAwaited = ratio(medianOf('speedupAwaited'), 1);
  const mapSpeedupBatch = ratio(medianOf('mapSpeedupBatch'), 1);
  const mapSpeedupSeq = ratio(medianOf('mapSpeedupSeq'), 1);
  const mapSpeedupAwaited = ratio(medianOf('mapSpeedupAwaited'), 1);
  printTable('dns: cached lookup (callback API, batches of 100)', [
    ['bare Map hit + microtask callback', `${mapCached.toFixed(0)} ns`],
    ['failsmall lookup {family: 4}', `${failsmallCached.toFixed(0)} ns`],
    ['cacheable-lookup {family: 4}', `${cacheableCached.toFixed(0)} ns`],
    ['failsmall lookup {all: true}', `${failsmallCachedAll.toFixed(0)} ns`],
    ['cacheable-lookup {all: true}', `${cacheableCachedAll.toFixed(0)} ns`],
    ['failsmall ÷ Map hit (family 4)', `${vsMapBatch}x`],
    ['speed-up vs cacheable-lookup (family 4)', `${speedupBatch}x`],
    ['bare Map hit, one awaited at a time', `${mapCachedSeq.toFixed(0)} ns`],
    ['failsmall, one awaited at a time', `${failsmallCachedSeq.toFixed(0)} ns`],
    ['cacheable-lookup, one awaited at a time', `${cacheableCachedSeq.toFixed(0)} ns`],
    ['failsmall ÷ Map hit, one at a time', `${vsMapSeq}x`],
    ['speed-up vs cacheable-lookup, one at a time', `${speedupSeq}x`],
    ['Map hit ÷ cacheable-lookup (the ceiling): batches, one at a time', `${mapSpeedupBatch}x, ${mapSpeedupSeq}x`],
    ['already resolved promise of the Map hit, awaited', `${medianOf('mapAwaited').toFixed(0)} ns`],
    ['failsmall resolve(), awaited', `${medianOf('failsmallAwaited').toFixed(0)} ns`],
    ['cacheable-lookup lookupAsync(), awaited', `${medianOf('cacheableAwaited').toFixed(0)} ns`],
    [
      'promise APIs: failsmall ÷ Map; speed-up (ceiling)',
      `${vsMapAwaited}x; ${speedupAwaited}x (${mapSpeedupAwaited}x)`,
    ],
  ]);
  printTable('dns: uncached lookup (one at a time, a new name each)', [
    ['failsmall wire client', us(failsmallUncached)],
    ['node dns.Resolver (c-ares)', us(caresUncachedNs)],
    ['failsmall Resolver (cache miss)', us(resolverMiss)],
  ]);
  printTable(`dns: lookups answered with an address while the record is empty/NXDOMAIN (${lookupsDuringEmpty})`, [
    ['failsmall', `${failsmallAnswered} (last-known-good served ${String(snap.lastKnownGoodServed)})`],
    ['cacheable-lookup', String(cacheableAnswered)],
  ]);
  console.log(
    JSON.stringify({
      bench: 'dns',
      cached_vs_map: Math.max(vsMapBatch, vsMapSeq),
      cached_speedup: Math.min(speedupBatch, speedupSeq),
      wall_cached_vs_map_sequential: ratio(medianOf('wallVsMapSeq'), 1),
      wall_cached_speedup_sequential: ratio(medianOf('wallSpeedupSeq'), 1),
      cached_vs_map_batch: vsMapBatch,
      cached_vs_map_sequential: vsMapSeq,
      cached_speedup_batch: speedupBatch,
      cached_speedup_sequential: speedupSeq,
      map_speedup_batch: mapSpeedupBatch,
      map_speedup_sequential: mapSpeedupSeq,
      awaited_vs_map: vsMapAwaited,
      awaited_speedup: speedupAwaited,
      map_speedup_awaited: mapSpeedupAwaited,
      map_awaited_ns: Math.round(medianOf('mapAwaited')),
      failsmall_awaited_ns: Math.round(medianOf('failsmallAwaited')),
      cacheable_lookup_awaited_ns: Math.round(medianOf('cacheableAwaited')),
      map_cached_ns: Math.round(mapCached),
      map_cached_sequential_ns: Math.round(mapCachedSeq),
      failsmall_cached_ns: Math.round(failsmallCached),
      cacheable_lookup_cached_ns: Math.round(cacheableCached),
      failsmall_cached_all_ns: Math.round(failsmallCachedAll),
      cacheable_lookup_cached_all_ns: Math.round(cacheableCachedAll),
      failsmall_cached_sequential_ns: Math.round(failsmallCachedSeq),
      cacheable_lookup_cached_sequential_ns: Math.round(cacheableCachedSeq),
      failsmall_uncached_ns: Math.round(failsmallUncached),
      cares_uncached_ns: Math.round(caresUncachedNs),
      failsmall_resolver_miss_ns: Math.round(resolverMiss),
      failsmall_answered_during_empty: failsmallAnswered,
      cacheable_lookup_answered_during_empty: cacheableAnswered,
      lookups_during_empty: lookupsDuringEmpty,
    }),
  );
} finally {
  wire.close();
  await resolver.close();
  await server.close();
}
