import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { isFailsmallError } from '../core/errors.js';
import { formatPath, loadYaml, parseYamlWith, readYamlText } from './yaml-text.js';

const yaml = await loadYaml('the yaml-text test');
const schema = z.strictObject({ name: z.string(), ports: z.array(z.number().int()) });

describe('yaml-text', () => {
  it('formats paths', () => {
    assert.equal(formatPath(['zones', 0, 'records', 3, 'ttl']), 'zones[0].records[3].ttl');
    assert.equal(formatPath([]), '');
  });

  it('parses and validates, naming the line and column of the first bad field and listing the rest', () => {
    assert.deepEqual(parseYamlWith(yaml, 'name: a\nports: [1, 2]\n', schema, 'f.yaml', 'FS_ERR_LAB_SCENARIO'), {
      name: 'a',
      ports: [1, 2],
    });
    assert.throws(
      () => parseYamlWith(yaml, 'name: a\nports: [1, x]\nextra: 1\n', schema, 'f.yaml', 'FS_ERR_LAB_SCENARIO'),
      (error) => {
        assert.ok(isFailsmallError(error, 'FS_ERR_LAB_SCENARIO'));
        assert.match(error.message, /^f\.yaml:\d+:\d+: /);
        const issues = error.details?.['issues'] as { field: string; line?: number }[];
        assert.deepEqual(issues.map((i) => i.field).sort(), ['extra', 'ports[1]']);
        assert.equal(issues.find((i) => i.field === 'extra')?.line, 3, 'an unknown key points at itself');
        return true;
      },
    );
  });

  it('refuses a syntax error with its position and the given label', () => {
    assert.throws(
      () => readYamlText(yaml, 'a: 1\na: 2\n', 'z.yaml', 'FS_ERR_CHAOS_ZONE_FILE', ''),
      (error) => isFailsmallError(error, 'FS_ERR_CHAOS_ZONE_FILE') && /^z\.yaml:2:\d+: /.test(error.message),
    );
    const file = readYamlText(yaml, 'a:\n  b: [1, 2]\n', 'y', 'FS_ERR_LAB_SCENARIO');
    assert.deepEqual(file.locate(['a', 'b', 1]), { line: 2, col: 10 });
    assert.deepEqual(file.locate(['a', 'missing']), file.locate(['a']));
  });
});
