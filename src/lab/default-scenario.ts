/**
 * The default scenario, embedded so that `failsmall replay` works from any install without reading
 * files beside the build output. It is byte for byte `src/lab/scenarios/2025-10-20.yaml` (a test
 * checks it): copy that file to write your own.
 */

/** The file name users see in messages and in the report. */
export const defaultScenarioName = '2025-10-20.yaml';

/** The YAML text of the default scenario. */
export const defaultScenarioYaml = `# The AWS us-east-1 outage of 2025-10-19/20 (DynamoDB's DNS record emptied by a race), replayed on
# loopback. Copy this file, change it, and run \`failsmall replay --scenario my.yaml\`.
# Durations are scenario time (what the day took): 2h37m, 15m, 90s or a number of seconds.
name: AWS us-east-1, 2025-10-20 - DynamoDB's DNS record emptied by a race

# Scenario seconds per real second. 120 replays the 3 h 32 min below in 106 real seconds.
speed: 120
# Seeds the arrivals, the jitter of failsmall's policies and the DNS weights: the same run each time.
seed: 20251020

region:
  # The fault DNS server is authoritative for this zone; the clients resolve \`endpoint\` through it.
  zone: amazonaws.com
  endpoint: dynamodb.us-east-1.amazonaws.com
  # The record set's addresses; the table service listens on each (one node per address).
  addresses: [127.0.0.2, 127.0.0.3, 127.0.0.4]
  # The record's TTL, compressed like every duration. DNS carries whole seconds, so the TTL on the
  # wire is max(1, round(ttl / speed)) real seconds: 4m at speed 120 is 2 s.
  ttl: 4m
  # How long recursive resolvers keep the cached empty answer after the record is restored
  # (02:25 -> 02:40 on the day). The lab serves the empty answer for this long after the restore.
  negative_ttl: 15m
  # What the emptied name answers: nodata (NOERROR with no answer) or nxdomain. Write-ups disagree.
  empty_answer: nodata

table:
  name: orders
  # Per address (node): requests in service at once, requests waiting, and service time in real ms.
  # Beyond the queue a node answers \`overload\`: throughput (ProvisionedThroughputExceededException),
  # throttling (ThrottlingException) or unavailable (HTTP 503).
  concurrency: 4
  queue: 16
  service_time_ms: 5
  overload: throughput
  # Items written before the run; reads pick one of them.
  items: 1000
  # Front ends recycle connections: a connection closes after its first response past this age
  # (compressed like every duration; \`never\` keeps them forever). This is what makes clients resolve
  # the name again; with eternal keep-alive connections nobody would notice the empty record.
  connection_max_age: 1m

load:
  # Open-loop Poisson arrivals, in logical requests per REAL second, the same arrivals for every
  # client group (the machine's capacity is real, so the rate is not compressed).
  rate: 50
  # Share of reads (GetItem); the rest are writes (PutItem).
  read_share: 0.9
  # Deadline of one logical request, retries included, in real milliseconds.
  timeout_ms: 3000
  # A bound on the run: most logical requests per group.
  max_requests: 20000

# The failsmall group runs on the resolver's defaults, compressed like every duration: it keeps
# serving the last known good addresses of a name that answers empty while connects to them succeed,
# believes the change 5m after they stop answering (the hold-down), and after 24h whatever happens.
# To try another hold-down (\`never\`: until the name answers again), uncomment:
# failsmall:
#   hold_down: 5m

# Width of one point of the timelines (scenario time). Default: the run divided into about 120.
bucket: 2m

# The timeline, from OUTAGE.md (times PDT). Phases run back to back.
phases:
  - kind: steady
    duration: 20m
    at: Oct 19 23:28 PDT
    note: Normal traffic; the record serves its three addresses.
  - kind: race
    duration: 1m
    at: Oct 19 23:48 PDT
    note: >-
      The DNS planner and three enactors race in legacy mode; a delayed enactor applies a stale plan
      and clean-up deletes it: the record is emptied. The same race in safe mode runs on a twin record.
  - kind: empty
    duration: 2h36m
    at: Oct 19 23:49 PDT
    note: The name answers empty; the table servers are alive at their addresses.
  - kind: restore
    duration: 15m
    at: Oct 20 02:25 PDT
    note: The record is restored by hand; resolvers keep the cached empty answer until it expires.
  - kind: steady
    duration: 20m
    at: Oct 20 02:40 PDT
    note: Cached empty answers have expired; clients reconnect.
`;
