import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { settle } from '../testing/virtual-time.js';
import { parseExperiment } from './experiment.js';
import type { Provider } from './experiment.js';
import { envConfigValue, runDrill, type Invoke } from './runner.js';
import { isFailsmallError } from '../core/errors.js';

/** A system on the virtual clock: `break` breaks it, `heal` heals it `healAfterMs` later. */
function system(clock: VirtualClock, options: { healAfterMs?: number; brokenAtStart?: boolean } = {}) {
  let broken = options.brokenAtStart ?? false;
  const calls: string[] = [];
  const invoke: Invoke = async (provider: Provider) => {
    const url = provider.type === 'http' ? provider.url : '';
    calls.push(url);
    if (url.endsWith('/health')) return { status: broken ? 503 : 200, headers: {}, body: '' };
    if (url.endsWith('/break')) broken = true;
    if (url.endsWith('/heal')) clock.setTimer(() => (broken = false), options.healAfterMs ?? 0);
    if (url.endsWith('/fail')) throw new Error('rollback exploded');
    return { status: 200, headers: {}, body: '' };
  };
  return { invoke, calls };
}

const http = (name: string, path: string, type = 'action') =>
  `  - type: ${type}\n    name: ${name}\n    provider: { type: http, url: "http://127.0.0.1:1${path}" }\n`;
const experiment = (method: string, rollbacks = '', extra = '') =>
  parseExperiment(
    `title: t\ndescription: d\n${extra}extensions:\n  - name: failsmall\n    measure: { poll_interval_s: 0.5, recovery_timeout_s: 10 }\nsteady-state-hypothesis:\n  title: healthy\n  probes:\n    - type: probe\n      name: health\n      tolerance: 200\n      provider: { type: http, url: "http://127.0.0.1:1/health" }\nmethod:\n${method}${rollbacks === '' ? '' : `rollbacks:\n${rollbacks}`}`,
    't.yaml',
  );

describe('runDrill on a virtual clock', () => {
  it('measures time to detect and RTO from the fault, polling during and after the method', async () => {
    const clock = new VirtualClock();
    const sys = system(clock, { healAfterMs: 2_000 });
    const e = experiment(
      `${http('break', '/break')}    pauses: { after: 3 }\n${http('heal', '/heal')}`,
      http('undo', '/undo'),
    );
    const run = await settle(clock, runDrill(e, { clock, invoke: sys.invoke }));
    const r = run.result;
    assert.equal(r.status, 'completed');
    assert.equal(r.steady_state_before, true);
    assert.equal(r.steady_state_after, true);
    assert.equal(r.deviated, false);
    assert.equal(r.steady_state_lost, true);
    assert.equal(r.fault_at, new Date(0).toISOString());
    assert.equal(r.time_to_detect_s, 0); // the first poll, right after the fault
    assert.equal(r.rto_s, 5); // 3 s of fault, healed 2 s after the fix, seen at the next poll
    assert.deepEqual(r.rollbacks, [{ name: 'undo', type: 'action', status: 'succeeded' }]);
    assert.ok(run.steps.some((s) => s.kind === 'mark' && s.name === 'fault'));
  });

  it('a system that is not restored: deviated, no RTO, rollbacks still run', async () => {
    const clock = new VirtualClock();
    const sys = system(clock);
    const e = experiment(http('break', '/break'), http('undo', '/undo'));
    const r = (await settle(clock, runDrill(e, { clock, invoke: sys.invoke }))).result;
    assert.equal(r.status, 'deviated');
    assert.equal(r.deviated, true);
    assert.equal(r.steady_state_after, false);
    assert.equal(r.rto_s, null);
    assert.equal(r.rollbacks[0]?.status, 'succeeded');
    assert.ok(sys.calls.includes('http://127.0.0.1:1/undo'));
  });

  it('a failing rollback is reported and the next one still runs', async () => {
    const clock = new VirtualClock();
    const sys = system(clock);
    const e = experiment(http('noop', '/noop'), http('explodes', '/fail') + http('after', '/after'));
    const r = (await settle(clock, runDrill(e, { clock, invoke: sys.invoke }))).result;
    assert.deepEqual(
      r.rollbacks.map((x) => [x.name, x.status]),
      [
        ['explodes', 'failed'],
        ['after', 'succeeded'],
      ],
    );
    assert.match(r.errors.join(' '), /rollback explodes failed/);
  });

  it('does not run the method when the steady state does not hold before', async () => {
    const clock = new VirtualClock();
    const sys = system(clock, { brokenAtStart: true });
    const e = experiment(http('break', '/break'), http('undo', '/undo'));
    const r = (await settle(clock, runDrill(e, { clock, invoke: sys.invoke }))).result;
    assert.equal(r.status, 'failed');
    assert.equal(r.steady_state_before, false);
    assert.equal(r.steady_state_after, null);
    assert.ok(!sys.calls.includes('http://127.0.0.1:1/break'));
    assert.equal(r.rollbacks.length, 1);
  });

  it('with strategy deviated, runs the rollbacks only when deviated', async () => {
    const clock = new VirtualClock();
    const sys = system(clock);
    const e = experiment(
      http('noop', '/noop'),
      http('undo', '/undo'),
      'runtime: { rollbacks: { strategy: deviated } }\n',
    );
    const r = (await settle(clock, runDrill(e, { clock, invoke: sys.invoke }))).result;
    assert.equal(r.status, 'completed');
    assert.equal(r.rollbacks.length, 0);
  });

  it('measures the failback apart from the failover', async () => {
    const clock = new VirtualClock();
    const sys = system(clock, { healAfterMs: 1_000 });
    const e = experiment(
      `${http('break', '/break')}    pauses: { after: 2 }\n${http('heal', '/heal')}    pauses: { after: 3 }\n${http('failback', '/break')}    pauses: { after: 1 }\n${http('heal-again', '/heal')}`,
      '',
      '',
    );
    const withFailback = { ...e, failbackActivity: 'failback' };
    const r = (await settle(clock, runDrill(withFailback, { clock, invoke: sys.invoke }))).result;
    assert.equal(r.rto_s, 3);
    assert.equal(r.failback?.time_to_detect_s, 0);
    assert.equal(r.failback?.rto_s, 2);
    assert.equal(r.failback?.rpo_writes_lost, null);
  });

  it('an env configuration value takes the type of its default, or of env_var_type, before it is substituted', async () => {
    const clock = new VirtualClock();
    const seen: unknown[] = [];
    const invoke: Invoke = async (provider: Provider) => {
      if (provider.type === 'failsmall') seen.push(provider.arguments);
      return { status: 200, headers: {}, body: '' };
    };
    const e = experiment(
      '  - type: action\n    name: wait\n    provider: { type: failsmall, func: wait, arguments: { seconds: "${s}" } }\n',
      '',
      'configuration:\n  s: { type: env, key: T_S, default: 2 }\n',
    );
    await settle(clock, runDrill(e, { clock, invoke, env: { T_S: '0.25' } }));
    assert.deepEqual(seen, [{ seconds: 0.25 }]);
    await assert.rejects(
      runDrill(e, { clock, invoke, env: { T_S: 'soon' } }),
      (err: unknown) =>
        isFailsmallError(err, 'FS_ERR_DRILL_INVALID') &&
        /configuration\.s: T_S="soon" is not a number/.test(err.message),
    );
  });
});

describe('envConfigValue', () => {
  const value = (spec: Parameters<typeof envConfigValue>[1], text?: string) =>
    envConfigValue('k', spec, text === undefined ? {} : { K: text });
  it('converts as env_var_type says, else as the default is typed', () => {
    assert.equal(value({ key: 'K', default: 2000 }, '3000'), 3000);
    assert.equal(value({ key: 'K', default: 2000 }), 2000);
    assert.equal(value({ key: 'K', default: 'naive' }, 'fail-open'), 'fail-open');
    assert.equal(value({ key: 'K', env_var_type: 'int' }, ' 42 '), 42);
    assert.equal(value({ key: 'K', env_var_type: 'str', default: 1 }, '007'), '007');
    assert.equal(value({ key: 'K', default: false }, 'yes'), true);
    assert.equal(value({ key: 'K', env_var_type: 'bool' }, '0'), false);
    assert.equal(value({ key: 'K' }), '');
  });
  it('a value that does not convert names the key and the variable', () => {
    const bad = (spec: Parameters<typeof envConfigValue>[1], text: string | undefined, re: RegExp) =>
      assert.throws(
        () => value(spec, text),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_DRILL_INVALID') && re.test(e.message),
      );
    bad({ key: 'K', default: 1 }, '', /configuration\.k: K="" is not a number/);
    bad({ key: 'K', env_var_type: 'int' }, '1.5', /is not an integer/);
    bad({ key: 'K', env_var_type: 'int', default: 'x' }, undefined, /its default "x" is not a number/);
    bad({ key: 'K', default: true }, 'maybe', /is not a boolean/);
  });
});
