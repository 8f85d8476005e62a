/**
 * The registry of every failsmall error code: one line per code with its module, when it is thrown and
 * what to do. The `ErrorCode` type is derived from it (a typo in a code does not compile), and the
 * tables of docs/errors.md are generated from it (`npm run docs:errors`; a test fails when they differ
 * or when a code used in src/ is missing here). Adding a code is adding one line.
 *
 * Codes are never renamed or reused; a new situation gets a new code. Cells are Markdown.
 */

/** The module that owns a code, one section of docs/errors.md each, in this order. */
export const errorModules = [
  'core',
  'policy',
  'dns',
  'client',
  'chaos',
  'plan',
  'admit',
  'store',
  'drill',
  'lab',
  'testing',
  'cli',
] as const;

/** One of {@link errorModules}. */
export type ErrorModule = (typeof errorModules)[number];

/** One row of the registry: the owning module, when the error is thrown, what to do about it. */
export type ErrorEntry = readonly [module: ErrorModule, thrownWhen: string, whatToDo: string];

/** Every code: `[module, thrown when, what to do]`. */
// prettier-ignore
export const errorRegistry = {
  FS_ERR_INVALID_ARGUMENT: ['core', 'an option or argument has the wrong type or range; the message names it: ``Expected `maxAttempts` to be a positive integer, got -1``', 'fix the option; `error.details.option` names it'],
  FS_ERR_ABORTED: ['core', 'a wait was cancelled through an `AbortSignal` that carried no reason of its own', 'nothing: the caller asked for it'],
  FS_ERR_CLOCK_RUNAWAY: ['core', '`VirtualClock.runAll()` fired more timers than its limit', 'a timer keeps scheduling another; use `advance(ms)`'],
  FS_ERR_MISSING_PEER: ['core', '`importPeer()`: an optional peer dependency that a feature needs is not installed, or failed to load; `details.package` names it, `details.feature` says what needs it, `details.installed` whether it was found', 'install the package named in the message (`npm install <package>`); if it is installed, the cause says why it failed to load'],
  FS_ERR_RACE_LOST: ['core', '`staggeredRace()`: the `reason` of an attempt\'s signal when another attempt won (`details.winner`) or the race ended without it; `details.kind` is `aborted`', 'stop the attempt\'s work; it is not a failure of the dependency'],
  FS_ERR_RACE_FAILED: ['core', '`staggeredRace()` without `toError`: no attempt succeeded; `cause` is the last failure, `details.failures` every `{ attempt, error }` in order, `details.stopped` true when `onFailure` ended the race', 'look at the causes; callers such as hedge and Happy Eyeballs map it to their own code'],
  FS_ERR_TIMEOUT: ['policy', '`timeout()`: the call ran past its limit or the caller\'s tighter deadline (`details.source` says which: `timeout` or `deadline`; `details.timeout`, `details.elapsed` in ms). Cooperative: also the `reason` of `ctx.signal`', 'treat as a transient failure (retry classifies it as `timeout`); if frequent, the dependency is slow: check its latency before raising the limit'],
  FS_ERR_BREAKER_OPEN: ['policy', '`circuitBreaker()`: the breaker is open (or half-open with every probe slot taken), so the call was not made; `details.retryAfter` is the ms until a probe is allowed, `details.state` the state', 'serve a fallback (stale data, a default) or fail fast; do not retry before `retryAfter` (`retry()` honours it)'],
  FS_ERR_BREAKER_ISOLATED: ['policy', '`circuitBreaker()`: the breaker was held open by hand with `isolate()` (or hydrated in that state)', 'an operator decision: serve a fallback; dispose the isolation handle (or call `reset()`) to close it'],
  FS_ERR_BULKHEAD_FULL: ['policy', '`bulkhead()`: `maxConcurrent` calls run and `maxQueue` wait; `details` holds `active`, `queued` and the limits', 'shed the call (HTTP 503 with `Retry-After`) or fall back; raise the limits only if the dependency has the capacity'],
  FS_ERR_THROTTLED_LOCALLY: ['policy', '`adaptiveThrottle()`: the call was rejected on the client, with probability `max(0, (requests − K·accepts) / (requests + 1))`, because the backend has been refusing work; `details` holds `probability`, `requests`, `accepts`', 'serve a fallback or fail fast; the backend never saw the call. Do not retry in a tight loop: each retry is another request and raises p'],
  FS_ERR_RATE_LIMITED: ['policy', '`cubicRateLimiter()`: after a throttle, the next send token is further away than the call\'s deadline or `maxWait`; `details.wait` (= `details.retryAfter`) is that wait in ms, `details.fillRate` the rate in tokens/s', 'wait `retryAfter` before trying again (`retry()` honours it), or fall back; the dependency asked clients to slow down'],
  FS_ERR_LIMIT_EXCEEDED: ['policy', '`concurrencyLimit()`: `limit` calls are already in flight; `details` holds `limit`, `inflight` and the `algorithm`', 'shed the call (HTTP 503) or fall back; the adaptive limit rises again as calls succeed at full use'],
  FS_ERR_DNS_INVALID_HOSTNAME: ['dns', 'the name breaks RFC 1035/1123 rules (empty label, label over 63 or name over 253 characters, a character other than letters, digits, `-`, `_`, a label starting or ending with `-`); `details.problem` says which. Nothing is sent upstream', 'fix the name; encode internationalised names as punycode first'],
  FS_ERR_DNS_NOT_FOUND: ['dns', 'the upstream answered NXDOMAIN for a name that never resolved (a name with a last-known-good set is held by the guard instead); cached for at most `maxNegativeTtl` (10 s)', 'check the name; if it should exist, the zone lacks it'],
  FS_ERR_DNS_NO_DATA: ['dns', 'NOERROR with no address of the family asked for (e.g. `family: 6` on an IPv4-only name), for a name without a last-known-good set', 'ask for the other family, or fix the record'],
  FS_ERR_DNS_SERVFAIL: ['dns', 'the upstream answered SERVFAIL (or the system resolver failed temporarily, `EAI_AGAIN`), and no stale or last-known-good answer existed', 'transient: retry after a backoff; a persistent SERVFAIL is a broken zone (DNSSEC, lame delegation)'],
  FS_ERR_DNS_REFUSED: ['dns', 'the upstream answered REFUSED', 'the server does not serve you (ACL, wrong server): fix `upstreams`'],
  FS_ERR_DNS_RCODE: ['dns', 'another error rcode (`FORMERR` after the retry without EDNS0, `NOTIMP`, …); `details.rcode` names it', 'the server is broken or not a DNS server'],
  FS_ERR_DNS_TIMEOUT: ['dns', 'no valid answer within the upstream\'s `timeout` (default 2 s, one UDP retransmission at half of it)', 'transient: add a second upstream (hedged) or raise `timeout`; serve-stale covers names seen before'],
  FS_ERR_DNS_MALFORMED: ['dns', 'only unparseable or inconsistent datagrams with the query\'s ID arrived before the timeout (wrong question, cut records, bad lengths), or a TCP answer was malformed; `details.problem` says what', 'the server (or something on the path) sends garbage; forged datagrams are dropped, never cached'],
  FS_ERR_DNS_NETWORK: ['dns', 'a socket error: nothing listens on the server\'s port (ICMP unreachable fails the query at once), a TCP fallback was reset or closed early; `details.errno` has the system code', 'check the server address and that it is up'],
  FS_ERR_DNS_CNAME_CHAIN: ['dns', 'a CNAME chain loops or is longer than `maxCnameDepth` (8); `details.chain` lists it', 'fix the zone'],
  FS_ERR_DNS_CLOSED: ['dns', 'the resolver (or wire client) was closed', 'do not use a resolver after `close()`'],
  FS_ERR_DNS_UNKNOWN: ['dns', 'never thrown: the label counters, events and `lookup`\'s `details.code` use for an error that is not a failsmall error (a custom `Upstream` threw a plain `Error`)', 'look at the error\'s `cause`; make custom upstreams throw `FailsmallError`s with `FS_ERR_DNS_*` codes'],
  FS_ERR_DNS_LKG_FILE: ['dns', 'never thrown: the `code` of the `lkg-ignored` event (the last-known-good file, `lkgFile`, was unreadable, oversized, not JSON, of another format, or had invalid entries, which were skipped) and of `lkg-error` (a write failed). Was FS_ERR_DNS_SNAPSHOT', 'look at `reason`; the resolver works without the file, and rewrites it on the next change'],
  FS_ERR_CLIENT_NO_ADDRESSES: ['client', 'the resolver answered a name with no address at all (a failsmall resolver with last-known-good only does so for a name that never resolved)', 'check the record; `details.target` names `host:port`'],
  FS_ERR_CLIENT_CONNECT_FAILED: ['client', 'every address of the name refused or failed to connect; `cause` is the last attempt\'s error (e.g. `ECONNREFUSED`, so the AWS SDK still sees a transient error), `details.attempts` lists each address with its outcome and code', 'the servers are down or unreachable on that port; a retry after a backoff may help, the failed addresses are tried last for 30 s'],
  FS_ERR_CLIENT_CONNECT_TIMEOUT: ['client', 'no address connected within `connectTimeout` (default 10 s); `cause` is an `ETIMEDOUT` error', 'addresses that drop packets (blackholed); raise `connectTimeout` or lower `attemptDelay` so more addresses are raced in time'],
  FS_ERR_CLIENT_PEER_MISSING: ['client', '`awsRequestHandler()` (or `awsClientConfig()`, `dependency().aws`) was called without `@smithy/node-http-handler` installed', '`npm install @smithy/node-http-handler` (every AWS SDK v3 client brings it)'],
  FS_ERR_CHAOS_INVALID_ZONE: ['chaos', 'a zone given to `startFaultDnsServer`/`ZoneStore` is invalid, or two zones share a name; the message names the field (`zones[0].records[2].name: …`)', 'fix the definition'],
  FS_ERR_CHAOS_ZONE_FILE: ['chaos', 'a zone file cannot be read, is not YAML/JSON, or is invalid; the message names `file:line:col` and the field', 'fix the file at that line'],
  FS_ERR_CHAOS_ZONE_NOT_FOUND: ['chaos', 'HTTP 404: the zone in the path does not exist', 'check `GET /v1/zones`'],
  FS_ERR_CHAOS_INVALID_CHANGE: ['chaos', 'HTTP 400: a change batch is invalid (bad value, name outside the zone, DELETE of a missing record set, CNAME beside other data, SOA off the apex); the message names the field (`changes[1].recordSet.records[0].value: …`); nothing was applied', 'fix the batch and send it again'],
  FS_ERR_CHAOS_VERSION_CONFLICT: ['chaos', 'HTTP 409: `expectedVersion` is not the zone\'s version (someone changed it first); the error carries `currentVersion`; nothing was applied', 're-read the zone, decide again, retry with the new version'],
  FS_ERR_CHAOS_INVALID_FAULT: ['chaos', 'HTTP 400: a fault rule is invalid; the message names the field (`delayMs: a delay rule needs delayMs`)', 'fix the rule'],
  FS_ERR_CHAOS_FAULT_EXISTS: ['chaos', 'HTTP 409: a fault rule with that `id` exists', 'pick another id or remove the old rule'],
  FS_ERR_CHAOS_FAULT_NOT_FOUND: ['chaos', 'HTTP 404: no fault rule with that id', 'list the rules with `GET /v1/faults`'],
  FS_ERR_CHAOS_TOO_MANY_FAULTS: ['chaos', 'HTTP 409: the server holds `maxFaults` rules (default 1,000)', 'remove rules you no longer need'],
  FS_ERR_CHAOS_INVALID_REQUEST: ['chaos', 'HTTP 400: the body is empty or not JSON, or a query parameter (`limit`, `top`) is out of range', 'send JSON; fix the parameter'],
  FS_ERR_CHAOS_UNAUTHORIZED: ['chaos', 'HTTP 401: the server has a token and the request lacks `Authorization: Bearer <token>` or has the wrong one', 'send the token'],
  FS_ERR_CHAOS_NOT_FOUND: ['chaos', 'HTTP 404: no such endpoint', 'see the endpoint table in the README'],
  FS_ERR_CHAOS_METHOD_NOT_ALLOWED: ['chaos', 'HTTP 405: the endpoint exists, not with this method; the message lists the allowed ones', 'use an allowed method'],
  FS_ERR_CHAOS_BODY_TOO_LARGE: ['chaos', 'HTTP 413: the body exceeds 1 MiB', 'split the batch'],
  FS_ERR_CHAOS_INTERNAL: ['chaos', 'HTTP 500: an unexpected error in the control API', 'report it with the message'],
  FS_ERR_CHAOS_TOKEN_REQUIRED: ['chaos', '`startFaultDnsServer`/`dns serve` would put the control API on a non-loopback address without a token', 'pass `token` (`--token`, `$FAILSMALL_DNS_TOKEN`) or keep it on loopback'],
  FS_ERR_CHAOS_LISTEN: ['chaos', 'a DNS (UDP or TCP) or API port cannot be bound (in use, no permission, address not local)', 'pick another port, or port 0'],
  FS_ERR_CHAOS_PROBE_TIMEOUT: ['chaos', '`probe()`/`probeRaw()` got no reply in time (e.g. a `drop` fault)', 'expected under `drop`; otherwise check the address'],
  FS_ERR_CHAOS_HOST_NOT_ALLOWED: ['chaos', 'HTTP 403: the `Host` header of a control API request does not name the bound address (an IP literal of it, `localhost` on loopback, or `allowedHosts`) and port: what a DNS-rebinding page sends', 'call the API by its address, or add the name to `allowedHosts` (`apiAllowedHosts`)'],
  FS_ERR_CHAOS_CROSS_ORIGIN: ['chaos', 'HTTP 403: a browser request from another origin (`Origin` not the API\'s own, or `Sec-Fetch-Site: cross-site`/`same-site`)', 'add the origin to `allowedOrigins` (`apiAllowedOrigins`) if the page should drive the API'],
  FS_ERR_CHAOS_UNSUPPORTED_MEDIA_TYPE: ['chaos', 'HTTP 415: a POST/PUT/PATCH to a control API without `Content-Type: application/json`', 'send the JSON content type'],
  FS_ERR_PROXY_BAD_REQUEST: ['chaos', 'a body is not JSON, a field has the wrong type, `name`/`upstream` is missing (400, `bad request body: …`, `missing required field: …`)', 'fix the field the message names'],
  FS_ERR_PROXY_NOT_FOUND: ['chaos', 'no proxy of that name (404, `proxy not found`)', 'create it (`POST /proxies`, `/populate`)'],
  FS_ERR_PROXY_EXISTS: ['chaos', 'a proxy of that name exists (409)', 'use `/populate` to create-or-keep, or delete it first'],
  FS_ERR_PROXY_INVALID_STREAM: ['chaos', '`stream` is not `upstream` or `downstream` (400)', 'use one of the two'],
  FS_ERR_PROXY_INVALID_TOXIC_TYPE: ['chaos', '`type` names no toxic (400, `invalid toxic type`)', 'latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop'],
  FS_ERR_PROXY_TOXIC_EXISTS: ['chaos', 'a toxic of that name is on the proxy (409)', 'update it (`POST …/toxics/{name}`) or pick another name'],
  FS_ERR_PROXY_TOXIC_NOT_FOUND: ['chaos', 'no toxic of that name on the proxy (404)', 'list them with `GET …/toxics`'],
  FS_ERR_PROXY_INVALID_HTTP_FAULT: ['chaos', 'an HTTP fault rule is invalid (400; the message names the field)', 'fix the field'],
  FS_ERR_PROXY_HTTP_FAULT_NOT_FOUND: ['chaos', 'no HTTP fault rule with that id (404)', 'list them with `GET …/http_faults`'],
  FS_ERR_PROXY_WRONG_MODE: ['chaos', 'toxics on an HTTP-mode proxy, or HTTP faults on a TCP proxy (400)', 'create the proxy with the mode you need'],
  FS_ERR_PROXY_LISTEN: ['chaos', 'a proxy\'s listen address or the API port cannot be bound (500 from the API)', 'pick a free port, or port 0'],
  FS_ERR_PROXY_ROUTE_NOT_FOUND: ['chaos', 'no such endpoint (404)', 'see docs/chaos-proxy.md'],
  FS_ERR_PROXY_METHOD_NOT_ALLOWED: ['chaos', 'the endpoint exists but not with this method (405)', 'the message lists the allowed methods'],
  FS_ERR_PROXY_CONFIG: ['chaos', '`proxy serve --config FILE` cannot read FILE or it is not a JSON array of valid proxies', 'fix the file (the message names the proxy and field)'],
  FS_ERR_PLAN_INVALID: ['plan', 'a plan body is malformed: no zone, a name outside its zone, a bad address for the type, a weight outside 0..255, a duplicate address, more than 100 addresses; the message names the field (`plan.records[1].weight: …`)', 'fix the planner\'s output; nothing was stored'],
  FS_ERR_PLAN_VERSION_CONFLICT: ['plan', 'a provider\'s conditional batch lost: the zone changed since it was read (`details.currentVersion`)', 'nothing: a safe enactor re-reads, decides again (often: its plan is now stale) and retries up to `maxAttempts`'],
  FS_ERR_PLAN_PROVIDER: ['plan', 'the DNS provider failed or answered something unexpected (`details.status`, `details.code` from the server)', 'the enactor journals `failed` after `maxAttempts`; check the provider; the next round tries again'],
  FS_ERR_PLAN_NO_KNOWN_GOOD: ['plan', '`rollback()` found no plan applied before the active one that is still stored (or `to` does not exist)', 'give `to` explicitly, or publish a plan; safe clean-up keeps the last known-good plan to avoid this'],
  FS_ERR_PLAN_SCHEDULE_LIMIT: ['plan', 'the deterministic scheduler ran past `maxSteps` (a livelock in a model)', 'an actor never finishes: make its loop end when there is nothing left to do'],
  FS_ERR_ADMIT_SHED: ['admit', '`admission().acquire()`: the work was shed before it started; `details.reason` says why: `queue-full`, `throttled` (the queue-size throttle), `queue-delay` (waited past `maxAge`, or past CoDel\'s 5 ms target once the queue stands), `overload` (the overload signal is on and the level is shed), `evicted` (higher-criticality work took its queue place), `wave` (the re-establishment wave is full); `details` also holds `kind: \'overload\'`, `neverSent: true`, `retryAfter` (ms), `doNotRetry`, `criticality`, `inflight`, `queued`, `limit`. The HTTP adapters answer 503 (429 for `throttled`) with `Retry-After` and, when `doNotRetry`, `x-failsmall-no-retry: 1`', 'answer the caller at once; retry only after `retryAfter` and never when `doNotRetry` is set (the server is shedding a standing queue)'],
  FS_ERR_ADMIT_DEADLINE: ['admit', '`admission().acquire()`: the caller\'s deadline (`deadline`/`timeout` of the item, or the `x-request-deadline`/`grpc-timeout` header) would pass before the work could finish, judged by the average run time of successful work; `details` as above with `kind: \'timeout\'`, `doNotRetry: true`', 'nothing to do for this request: its caller has given up or will have; give callers realistic deadlines'],
  FS_ERR_ADMIT_BAD_DEADLINE: ['admit', 'a `x-request-deadline` (Unix epoch ms, an integer) or `grpc-timeout` (1–8 digits and `H`/`M`/`S`/`m`/`u`/`n`) header is malformed or repeated; `details.header`, `details.value` (first 64 characters). The adapters answer 400', 'fix the client; the server keeps serving'],
  FS_ERR_ADMIT_UNKNOWN_CRITICALITY: ['admit', 'a work item\'s `criticality` or the `x-failsmall-criticality` header names no level (`critical-plus`, `critical`, `sheddable-plus`, `sheddable`; any case, `_` for `-`); `details.value`, `details.allowed`. The adapters answer 400', 'use one of the four levels'],
  FS_ERR_STORE_CLOSED: ['store', 'a store method is called after `close()`', 'open a new store'],
  FS_ERR_STORE_BACKEND: ['store', 'SQLite or PostgreSQL failed (cannot open the file, connection refused, a statement failed); `cause` holds the driver\'s error', 'check the database; the enactor\'s next round retries'],
  FS_ERR_STORE_CORRUPT: ['store', 'a stored row could not be read back (a plan body or journal entry that is not JSON)', 'the database was edited by hand or by another version: fix or delete the row'],
  FS_ERR_DRILL_INVALID: ['drill', 'an experiment file cannot be read, is not valid JSON or YAML, or a field is wrong (Chaos Toolkit format plus failsmall\'s extension); the message names the field and its line (`drill.yaml:12:9: method[1].pauses.after: …`), `details.field`/`line`/`col` too. Nothing was run', 'fix the field named; start from `examples/drills/`'],
  FS_ERR_DRILL_UNKNOWN_PROVIDER: ['drill', 'an activity names a provider type (`python`, …) or a failsmall `func` that this runner does not have; `details.field` and `line` say where. Nothing was run', 'use `http`, `process` or `failsmall` with one of the funcs of docs/drill.md'],
  FS_ERR_DRILL_ACTIVITY: ['drill', 'an action or probe failed while the drill ran (an HTTP control call answered an error status, a process exited non-zero for an action, a service did not become ready); recorded in the journal and the report, `details.activity` names it', 'read the message; the method goes on after a failed activity (as Chaos Toolkit), and a failed rollback does not stop the others'],
  FS_ERR_DRILL_SERVICE: ['drill', 'a service under test (`extensions[failsmall].services`) could not start or did not become ready within `ready.timeout_s` (default 10 s), or a kill/restart named a service that is not running', 'read `details.output` (its last lines of stderr) and check its command'],
  FS_ERR_LAB_SCENARIO: ['lab', 'a scenario file cannot be read, is not valid YAML, or a field is wrong; the message names the field and its line (`my.yaml:14:15: phases[2].duration: …`), `details.field`/`line`/`col` too; also a bad `--speed`/`--seed` override', 'fix the field named; start from `src/lab/scenarios/2025-10-20.yaml`'],
  FS_ERR_LAB_LISTEN: ['lab', 'the table service cannot listen on one of its loopback addresses (the port is taken there)', 'free the port, or let it pick one (`port: 0`, the default)'],
  FS_ERR_LAB_START: ['lab', 'the replayed region (table service, fault DNS server) could not start; `cause` says why', 'read the cause; on Linux every 127.0.0.0/8 address is local, elsewhere add the aliases (`ifconfig lo0 alias 127.0.0.2`)'],
  FS_ERR_LAB_CLOSED: ['lab', 'a request reached the table service\'s capacity gate after `close()`, or was queued when it closed', 'nothing: the service is stopping'],
  FS_ERR_LAB_TIMEOUT: ['lab', 'the abort reason of a logical request that missed the load generator\'s deadline (`load.timeout_ms`)', 'nothing: counted as a failed request (`timeout`)'],
  FS_ERR_LAB_RESTORE: ['lab', 'the replay\'s manual restore of the record was refused by the DNS control API', 'read the message (the API\'s code); a bug if it happens with the shipped scenario'],
  FS_ERR_LAB_REPORT: ['lab', 'chart.js cannot be read to inline it in the HTML report', '`npm install` (chart.js is a dependency)'],
  FS_ERR_LAB_ACTIVE_MISSING: ['lab', 'the lab\'s `LegacyEnactor` (the 2025-10-20 enactor) only: the active pointer names a plan that clean-up deleted, so the transaction that replaces it cannot be built: the stuck state of 2025-10-20', 'nothing in production: the `Enactor` of `failsmall/plan` applies depending only on the provider\'s fence'],
  FS_ERR_TESTING_NOT_SETTLED: ['testing', '`drive()`/`settle()` of `failsmall/testing`: the promise did not settle while the virtual clock ran every due timer (nothing left to run, or `maxSteps` reached); `details` holds `maxSteps`, `now` and `pending`', 'the code under test waits on something other than the virtual clock (a real timer, real I/O, a promise nobody resolves): inject the clock, or resolve the promise in the test'],
  FS_ERR_CLI_USAGE: ['cli', 'a command-line option has a malformed value (`--speed fast`) or an output path cannot be written (`--report` into a missing folder); checked before anything runs; exit code 2', 'fix the option named in the message'],
  FS_ERR_CLI: ['cli', 'never thrown: the `code` of a `--json` error object when the error was not a failsmall error (e.g. an unexpected system error)', 'read `message`; the error came from Node or a library, not from a failsmall check'],
} as const satisfies Record<`FS_ERR_${string}`, ErrorEntry>;

/** Every failsmall error code: one of the keys of {@link errorRegistry}. */
export type ErrorCode = keyof typeof errorRegistry;
