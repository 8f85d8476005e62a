/**
 * The region-loss scenario, embedded so that `failsmall replay --scenario region-loss` works from
 * any install. It is byte for byte `src/lab/scenarios/region-loss.yaml` (a test checks it): copy
 * that file to write your own.
 */

/** The file name users see in messages. */
export const regionLossScenarioName = 'region-loss.yaml';

/** The YAML text of the region-loss scenario. */
export const regionLossScenarioYaml = `# A region that really goes away: the primary region's table service stops for real (connections
# refused on every address, not a DNS fault), then comes back with its data. Two loopback regions,
# asynchronous replication between them with a lag. Run it with \`failsmall replay --scenario
# region-loss\`, or copy this file, change it, and pass its path. Durations are real time here (no
# compression): 2m, 15s, 0.5s or a number of seconds.
kind: region-loss
name: A region that really goes away - us-east-1 lost, us-west-2 serves the reads
# Seeds the arrivals, the keys and failsmall's jitter: the same run each time.
seed: 20251020

regions:
  # One DNS zone holds both regional names (a global DNS service outlives a region).
  zone: amazonaws.com
  # The DNS TTL on the wire, in whole seconds.
  ttl: 5s
  # The preferred region: reads and writes. Its table service listens on each address.
  primary: { name: us-east-1, addresses: [127.0.1.1, 127.0.1.2] }
  # The alternate: reads only (writes go to the primary or wait in failsmall's outbox).
  replica: { name: us-west-2, addresses: [127.0.2.1, 127.0.2.2] }
  # Asynchronous replication: each region ships its new writes to the other in batches this often.
  replication_lag: 0.2s

table:
  # Per address: requests in service at once, requests waiting, service time.
  concurrency: 16
  queue: 64
  service_time_ms: 2
  # Items seeded in both regions before the run (keys item-0 ... item-<n-1>).
  items: 100

load:
  # Logical requests per real second for each group (the same arrivals for both), open loop.
  rate: 40
  # Share of reads (GetItem); the rest are writes (PutItem).
  read_share: 0.7
  # Deadline of one logical request, retries included, in milliseconds.
  timeout_ms: 3000

phases:
  # Both regions up: the clients warm up (failsmall's read cache fills).
  steady: 8s
  # The primary's table service is stopped: every connect to its addresses is refused.
  loss: 15s
  # The primary is back with its data; the run goes on while failsmall drains its outbox and fails back.
  after: 20s

failsmall:
  # Each region's breaker: 5 failures in a row open it; it lets a probe through after this long.
  breaker_half_open: 1s
  # Failback hysteresis: time on the replica first, the primary strictly healthy without a break,
  # consecutive successful probes, their interval, and the ramp of traffic back.
  failback: { dwell: 5s, stable_for: 2s, probes: 3, probe_interval: 0.5s, ramp: 3s }
  # The outbox drain: writes per second at most, and how often it checks for queued writes.
  outbox: { rate: 100, drain_interval: 0.25s }
  # After the load ends, how long the run waits for the outbox to empty before judging.
  drain_timeout: 30s
  # The share of the drain's writes the returning region may refuse as overload (the target).
  max_drain_rejected_share: 0.05
`;
