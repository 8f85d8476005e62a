/**
 * `failsmall/chaos` loads none of its optional peers (zod, yaml) when it is imported: its schemas are
 * built on first use. Each check runs in a child Node so that nothing this test process loaded counts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const hide = new URL('../test-support/hide-packages.js', import.meta.url).href;
const index = new URL('./index.js', import.meta.url).href;
/** The package root, where the `failsmall/chaos` self-reference resolves through the exports map. */
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `script` (an ES module) in a child Node at the package root, with `hidden` looking not installed. */
function run(script: string, hidden = ''): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', hide, '--input-type=module', '-e', script],
      { cwd: root, env: { ...process.env, FAILSMALL_TEST_HIDE_PACKAGES: hidden }, timeout: 30_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

/** Script text: `expr` evaluated, as `'ok'` or the code and package of what it threw. */
const outcome = (expr: string): string =>
  `(() => { try { ${expr}; return 'ok'; } catch (e) { return [e.code, e.details?.package].filter(Boolean).join(' '); } })()`;

const loaded = `Object.keys(createRequire(import.meta.url).cache).filter((k) => /[\\\\/]node_modules[\\\\/](zod|yaml)[\\\\/]/.test(k)).map((k) => k.match(/node_modules[\\\\/](zod|yaml)/)[1])`;

describe('failsmall/chaos and its optional peers', () => {
  for (const specifier of [index, 'failsmall/chaos']) {
    it(`${specifier === index ? 'dist/chaos/index.js' : specifier} imports without zod or yaml installed`, async () => {
      const script = `
        const m = await import(${JSON.stringify(specifier)});
        console.log(JSON.stringify({
          imported: typeof m.parseFaultRule,
          fault: ${outcome("m.parseFaultRule({ name: 'a.example', action: 'empty' }, 'f1', 0)")},
          http: ${outcome("m.parseHttpFault({ action: 'hang' }, 'h1', 0)")},
          zone: ${outcome("new m.ZoneStore([{ name: 'example.com' }])")},
          zoneFile: ${outcome("m.parseZoneText('name: example.com')")},
        }));`;
      assert.deepEqual(await run(script, 'zod,yaml'), {
        imported: 'function',
        fault: 'FS_ERR_MISSING_PEER zod',
        http: 'FS_ERR_MISSING_PEER zod',
        zone: 'FS_ERR_MISSING_PEER zod',
        zoneFile: 'FS_ERR_MISSING_PEER yaml',
      });
    });
  }

  it('loads zod on the first validation only, and still validates', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const m = await import(${JSON.stringify(index)});
      const before = ${loaded};
      const out = {
        before,
        fault: m.parseFaultRule({ name: 'A.Example.', action: 'delay', delayMs: 5, durationMs: 10 }, 'f1', 100),
        badFault: ${outcome("m.parseFaultRule({ name: 'a', action: 'delay', delayMs: -1 }, 'f1', 0)")},
        http: m.parseHttpFault({ path: '/x', action: 'status', probability: 0.5 }, 'h1', 0).probability,
        badHttp: ${outcome("m.parseHttpFault({ action: 'status', awsError: 'SlowDown' }, 'h1', 0)")},
        zone: m.parseZoneText('name: example.com\\nrecords:\\n  - { name: www, type: A, records: [127.0.0.1] }\\n')[0].records[0].name,
        badZone: ${outcome("new m.ZoneStore([{ name: 'example.com', records: [{ name: 'example.com', type: 'A', ttl: -1, records: [] }] }])")},
        after: [...new Set(${loaded})].sort(),
      };
      console.log(JSON.stringify(out));`;
    const out = (await run(script)) as Record<string, unknown>;
    assert.deepEqual(out['before'], []);
    assert.deepEqual(out['after'], ['yaml', 'zod']);
    assert.deepEqual(out['fault'], {
      ...(out['fault'] as object),
      name: 'a.example',
      from: null,
      until: 110,
      delayMs: 5,
      probability: 1,
    });
    assert.equal(out['badFault'], 'FS_ERR_CHAOS_INVALID_FAULT');
    assert.equal(out['http'], 0.5);
    assert.equal(out['badHttp'], 'FS_ERR_PROXY_INVALID_HTTP_FAULT');
    assert.equal(out['zone'], 'www.example.com');
    assert.equal(out['badZone'], 'FS_ERR_CHAOS_INVALID_ZONE');
  });
});
