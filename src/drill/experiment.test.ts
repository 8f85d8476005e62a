import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isFailsmallError } from '../core/errors.js';
import { loadExperimentFile, parseExperiment } from './experiment.js';

const examples = fileURLToPath(new URL('../../examples/drills/', import.meta.url));

const minimal = `title: t
description: d
steady-state-hypothesis:
  title: up
  probes:
    - type: probe
      name: up
      tolerance: 200
      provider: { type: http, url: "http://127.0.0.1:1/" }
method:
  - type: action
    name: wait
    provider: { type: failsmall, func: wait, arguments: { seconds: 1 } }
    pauses: { after: 2 }
rollbacks:
  - ref: wait
`;

function rejects(text: string, code: string, field: string, line?: number): void {
  assert.throws(
    () => parseExperiment(text, 'x.yaml'),
    (error: unknown) => {
      assert.ok(isFailsmallError(error, code as never), String(error));
      assert.equal(error.details?.['field'], field);
      if (line !== undefined) assert.equal(error.details?.['line'], line, error.message);
      assert.match(error.message, new RegExp(`^x\\.yaml:${line ?? ''}`));
      return true;
    },
  );
}

describe('parseExperiment', () => {
  it('reads Chaos Toolkit fields from YAML, resolving refs and defaults', () => {
    const e = parseExperiment(minimal, 'x.yaml');
    assert.equal(e.title, 't');
    assert.equal(e.hypothesis?.probes[0]?.tolerance, 200);
    assert.equal(e.method[0]?.pauses?.after, 2);
    assert.equal(e.rollbacks[0]?.name, 'wait');
    assert.equal(e.rollbackStrategy, 'always');
    assert.equal(e.pollIntervalS, 0.5);
    assert.equal(e.recoveryTimeoutS, 30);
  });

  it('reads the same experiment from JSON', () => {
    const json = JSON.stringify({
      title: 't',
      description: 'd',
      method: [{ type: 'probe', name: 'p', provider: { type: 'process', path: 'true' } }],
      runtime: { rollbacks: { strategy: 'deviated' } },
    });
    const e = parseExperiment(json, 'x.json');
    assert.equal(e.method[0]?.provider.type, 'process');
    assert.equal(e.rollbackStrategy, 'deviated');
  });

  /** Edits of the minimal experiment, and the error each must give: code, field and (when known) line. */
  const refusals: [title: string, edits: { from: string; to: string; code: string; field: string; line?: number }[]][] =
    [
      [
        'names the field and the line of a wrong value',
        [
          {
            from: 'pauses: { after: 2 }',
            to: 'pauses: { after: soon }',
            code: 'FS_ERR_DRILL_INVALID',
            field: 'method[0].pauses.after',
            line: 14,
          },
        ],
      ],
      [
        'names an unknown field',
        [
          {
            from: '    name: wait\n',
            to: '    name: wait\n    colour: red\n',
            code: 'FS_ERR_DRILL_INVALID',
            field: 'method[0].colour',
            line: 13,
          },
        ],
      ],
      [
        'refuses an unknown provider type before anything runs',
        [
          {
            from: '{ type: http, url',
            to: '{ type: python, module: x, func: y, url',
            code: 'FS_ERR_DRILL_UNKNOWN_PROVIDER',
            field: 'steady-state-hypothesis.probes[0].provider.type',
            line: 9,
          },
        ],
      ],
      [
        'refuses an unknown failsmall func',
        [
          {
            from: 'func: wait',
            to: 'func: teleport',
            code: 'FS_ERR_DRILL_UNKNOWN_PROVIDER',
            field: 'method[0].provider.func',
            line: 13,
          },
        ],
      ],
      [
        "checks a func's arguments",
        [
          {
            from: '{ seconds: 1 }',
            to: '{ seconds: -1 }',
            code: 'FS_ERR_DRILL_INVALID',
            field: 'method[0].provider.arguments.seconds',
          },
          {
            from: '{ seconds: 1 }',
            to: '{ secs: 1 }',
            code: 'FS_ERR_DRILL_INVALID',
            field: 'method[0].provider.arguments.secs',
          },
        ],
      ],
      [
        'refuses a ref to nothing, a placeholder with no configuration key, a kill of an unknown service',
        [
          { from: 'ref: wait', to: 'ref: nothing', code: 'FS_ERR_DRILL_INVALID', field: 'rollbacks[0].ref', line: 16 },
          {
            from: '127.0.0.1:1',
            to: '127.0.0.1:${port}',
            code: 'FS_ERR_DRILL_INVALID',
            field: 'steady-state-hypothesis.probes[0].provider.url',
            line: 9,
          },
          {
            from: 'func: wait, arguments: { seconds: 1 }',
            to: 'func: process-kill, arguments: { service: db }',
            code: 'FS_ERR_DRILL_INVALID',
            field: 'method[0].provider.arguments.service',
          },
        ],
      ],
      [
        'wants a tolerance on every steady-state probe, and a title',
        [
          {
            from: '      tolerance: 200\n',
            to: '',
            code: 'FS_ERR_DRILL_INVALID',
            field: 'steady-state-hypothesis.probes[0]',
            line: 6,
          },
          { from: 'title: t\n', to: '', code: 'FS_ERR_DRILL_INVALID', field: 'title' },
        ],
      ],
    ];
  for (const [title, edits] of refusals) {
    it(title, () => {
      for (const { from, to, code, field, line } of edits) rejects(minimal.replace(from, to), code, field, line);
    });
  }

  it('reports a syntax error with its line', () => {
    rejects('title: t\ndescription: [\n', 'FS_ERR_DRILL_INVALID', '(root)');
  });

  it('accepts placeholders where numbers go, and free ports', () => {
    const e = parseExperiment(
      `title: t\ndescription: d\nconfiguration:\n  p: { type: free-port }\n  s: 1\nmethod:\n  - type: probe\n    name: tcp\n    provider: { type: failsmall, func: tcp-probe, arguments: { port: "\${p}" } }\n    pauses: { before: "\${s}" }\n`,
      'x.yaml',
    );
    assert.deepEqual(e.configuration['p'], { type: 'free-port' });
  });

  it('validates every shipped example', () => {
    const files = readdirSync(examples).filter((f) => f.endsWith('.yaml') || f.endsWith('.json'));
    assert.ok(files.length >= 4, files.join(', '));
    for (const f of files) {
      const e = loadExperimentFile(`${examples}${f}`);
      assert.ok(e.method.length > 0, f);
      assert.ok(e.hypothesis !== undefined, f);
    }
  });

  it('says when the file cannot be read', () => {
    assert.throws(
      () => loadExperimentFile('/nonexistent/drill.yaml'),
      (e: unknown) => isFailsmallError(e, 'FS_ERR_DRILL_INVALID'),
    );
  });
});
