/**
 * `failsmall dns fault add|list|clear …`: manages the fault rules of a running fault DNS server
 * through its control API (`--api`, default `http://127.0.0.1:8053` or `$FAILSMALL_DNS_API`).
 *
 * ```sh
 * failsmall dns fault add empty 'dynamodb.us-east-1.amazonaws.com' --type A   # the lie of 2025-10-20
 * failsmall dns fault add delay '*.example.com' --delay 2000 --jitter 500 --probability 0.3
 * failsmall dns fault list
 * failsmall dns fault clear          # every rule; or: clear f1 f3
 * ```
 */
import type { Command } from 'commander';
import { ruleSettings } from '../chaos/audit-log.js';
import { faultActions } from '../chaos/fault-rules.js';

/** Parses a duration: `250`, `250ms`, `30s`, `5m`, `1h`, `2h37m` → milliseconds. */
export function parseDuration(value: string, option: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (match === null) {
      throw new Error(`${option}: expected a duration such as 500ms, 30s, 5m or 2h37m, got ${JSON.stringify(value)}`);
    }
    total += Number(match[1]) * units[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  if (text === '') throw new Error(`${option}: expected a duration such as 500ms, 30s, 5m or 2h37m, got ""`);
  return total;
}

function parseNumber(value: string, option: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new Error(`${option}: expected a number, got ${JSON.stringify(value)}`);
  return n;
}

interface ApiOptions {
  api?: string;
  token?: string;
  timeout?: string;
}

function apiBase(opts: ApiOptions): string {
  const raw = opts.api ?? process.env['FAILSMALL_DNS_API'] ?? 'http://127.0.0.1:8053';
  return (/^https?:\/\//.test(raw) ? raw : `http://${raw}`).replace(/\/+$/, '');
}

/** Calls the control API; resolves with the JSON body, or throws with the API's code and message. */
async function call(opts: ApiOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  const token = opts.token ?? process.env['FAILSMALL_DNS_TOKEN'];
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined && token !== '') headers['authorization'] = `Bearer ${token}`;
  const url = `${apiBase(opts)}${path}`;
  const timeoutMs = parseNumber(opts.timeout ?? '10000', '--timeout');
  if (!(timeoutMs > 0)) throw new Error(`--timeout: expected a positive number of milliseconds, got ${opts.timeout}`);
  // An API that accepts the connection and never answers must not hold the command forever.
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  let json: { error?: { code?: string; message?: string } };
  try {
    res = await fetch(url, {
      method,
      headers,
      signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    json = (await res.json().catch((error: unknown) => {
      if (signal.aborted) throw error;
      return {};
    })) as typeof json;
  } catch (error) {
    const why = signal.aborted ? `no answer within ${timeoutMs} ms` : String((error as Error).cause ?? error);
    throw new Error(`cannot reach the control API at ${url}: ${why}`, { cause: error });
  }
  if (!res.ok) throw new Error(`${json.error?.code ?? `HTTP ${res.status}`}: ${json.error?.message ?? res.statusText}`);
  return json;
}

function fail(command: string, error: unknown): void {
  process.stderr.write(`failsmall dns fault ${command}: ${(error as Error).message}\n`);
  process.exitCode = 1;
}

interface Rule {
  id: string;
  name: string;
  types: string[];
  action: string;
  probability: number;
  from: number | null;
  until: number | null;
  delayMs: number;
  jitterMs: number;
  address?: string;
  cidr?: string;
  ttl?: number;
  transport?: string;
  active?: boolean;
  fired?: number;
}

function describe(rule: Rule): string {
  const parts = [
    `${rule.id}`,
    rule.action,
    rule.name,
    rule.types.length === 0 ? '*' : rule.types.join(','),
    ...ruleSettings(rule),
  ];
  if (rule.from !== null) parts.push(`from=${new Date(rule.from).toISOString()}`);
  if (rule.until !== null) parts.push(`until=${new Date(rule.until).toISOString()}`);
  if (rule.active !== undefined) parts.push(rule.active ? 'active' : 'inactive');
  if (rule.fired !== undefined) parts.push(`fired=${rule.fired}`);
  return parts.join('  ');
}

/** Adds `fault add|list|clear` to the `dns` command group. */
export function registerDnsFault(dns: Command): void {
  const fault = dns.command('fault').description("Add, list and clear a running fault DNS server's fault rules");
  const common = (c: Command): Command =>
    c
      .option('--api <url>', 'control API (default $FAILSMALL_DNS_API or http://127.0.0.1:8053)')
      .option('--token <token>', 'API token (default $FAILSMALL_DNS_TOKEN)')
      .option('--timeout <ms>', 'give up on the control API after this many milliseconds', '10000');

  common(
    fault
      .command('add <action> <name>')
      .description(`Add a rule: action is one of ${faultActions.join(', ')}; name is a pattern (*, ?)`)
      .option('--type <types>', 'query types, comma-separated (A,AAAA,CNAME,NS,SOA,TXT); default all')
      .option('--probability <p>', 'chance per matching query, 0..1 (default 1)')
      .option('--delay <duration>', 'delay before replying (500ms, 2s); required by the delay action')
      .option('--jitter <duration>', 'extra random delay, uniform in [0, jitter)')
      .option('--address <ip>', 'wrong-address: the address to serve')
      .option('--cidr <range>', 'random-address: the range to draw from')
      .option('--ttl <seconds>', 'ttl: the TTL to serve; others: the TTL of forged records')
      .option('--for <duration>', 'remove the fault from the answers after this long (30s, 5m)')
      .option('--transport <udp|tcp>', 'only this transport')
      .option('--id <id>', 'an id of your choosing')
      .option('--comment <text>', 'kept in the audit log')
      .option('--json', 'print the rule as JSON'),
  ).action(async (action: string, name: string, opts: Record<string, string | boolean | undefined> & ApiOptions) => {
    try {
      const s = (k: string): string | undefined => (typeof opts[k] === 'string' ? (opts[k] as string) : undefined);
      const rule: Record<string, unknown> = { name, action };
      const type = s('type');
      if (type !== undefined) rule['type'] = type.split(',').map((t) => t.trim());
      if (s('probability') !== undefined) rule['probability'] = parseNumber(s('probability')!, '--probability');
      if (s('delay') !== undefined) rule['delayMs'] = parseDuration(s('delay')!, '--delay');
      if (s('jitter') !== undefined) rule['jitterMs'] = parseDuration(s('jitter')!, '--jitter');
      if (s('address') !== undefined) rule['address'] = s('address');
      if (s('cidr') !== undefined) rule['cidr'] = s('cidr');
      if (s('ttl') !== undefined) rule['ttl'] = parseNumber(s('ttl')!, '--ttl');
      if (s('for') !== undefined) rule['durationMs'] = parseDuration(s('for')!, '--for');
      if (s('transport') !== undefined) rule['transport'] = s('transport');
      if (s('id') !== undefined) rule['id'] = s('id');
      if (s('comment') !== undefined) rule['comment'] = s('comment');
      const added = (await call(opts, 'POST', '/v1/faults', rule)) as Rule;
      process.stdout.write(opts['json'] === true ? `${JSON.stringify(added)}\n` : `added ${describe(added)}\n`);
    } catch (error) {
      fail('add', error);
    }
  });

  common(fault.command('list').description('List the rules in order').option('--json', 'print JSON')).action(
    async (opts: ApiOptions & { json?: boolean }) => {
      try {
        const { faults } = (await call(opts, 'GET', '/v1/faults')) as { faults: Rule[] };
        if (opts.json === true) process.stdout.write(`${JSON.stringify(faults)}\n`);
        else if (faults.length === 0) process.stdout.write('no fault rules\n');
        else for (const rule of faults) process.stdout.write(`${describe(rule)}\n`);
      } catch (error) {
        fail('list', error);
      }
    },
  );

  common(fault.command('clear [ids...]').description('Remove the given rules, or every rule')).action(
    async (ids: string[], opts: ApiOptions) => {
      try {
        if (ids.length === 0) {
          const { removed } = (await call(opts, 'DELETE', '/v1/faults')) as { removed: number };
          process.stdout.write(`removed ${removed} fault rule${removed === 1 ? '' : 's'}\n`);
          return;
        }
        for (const id of ids) {
          await call(opts, 'DELETE', `/v1/faults/${encodeURIComponent(id)}`);
          process.stdout.write(`removed ${id}\n`);
        }
      } catch (error) {
        fail('clear', error);
      }
    },
  );
}
