import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isFailsmallError } from '../core/errors.js';
import { loadZoneFile, parseZoneText } from './zone-file.js';

const yaml = `zones:
  - name: amazonaws.com
    ttl: 60
    records:
      - { name: '@', type: NS, records: [ns1.amazonaws.com] }
      - name: dynamodb.us-east-1
        type: A
        ttl: 5
        records: [127.0.0.10, { value: 127.0.0.11, weight: 3 }]
      - name: dynamodb.us-east-1.amazonaws.com.
        type: AAAA
        records: ['::1']
  - name: example.org
    records:
      - { name: www.example.org, type: TXT, records: ['hello world'] }
`;

function fails(text: string, pattern: RegExp, source = 'zone.yaml'): void {
  assert.throws(
    () => parseZoneText(text, source),
    (e) => isFailsmallError(e, 'FS_ERR_CHAOS_ZONE_FILE') && pattern.test(e.message),
    `expected ${pattern}`,
  );
}

describe('zone files', () => {
  it('reads YAML with relative, @ and absolute names and default TTLs', () => {
    const zones = parseZoneText(yaml);
    assert.equal(zones.length, 2);
    const [aws, org] = zones;
    assert.deepEqual(aws!.records![0], {
      name: 'amazonaws.com',
      type: 'NS',
      ttl: 60,
      records: [{ value: 'ns1.amazonaws.com' }],
    });
    assert.deepEqual(aws!.records![1], {
      name: 'dynamodb.us-east-1.amazonaws.com',
      type: 'A',
      ttl: 5,
      records: [{ value: '127.0.0.10' }, { value: '127.0.0.11', weight: 3 }],
    });
    assert.equal(aws!.records![2]!.name, 'dynamodb.us-east-1.amazonaws.com');
    assert.equal(org!.records![0]!.ttl, 300, 'the default TTL is 300 s');
  });

  it('reads a single zone and JSON', () => {
    const single = parseZoneText('name: example.com\nrecords:\n  - { name: www, type: A, records: [127.0.0.1] }\n');
    assert.equal(single[0]!.records![0]!.name, 'www.example.com');
    const json = parseZoneText(
      JSON.stringify({ name: 'example.com', records: [{ name: '@', type: 'A', records: ['127.0.0.1'] }] }),
    );
    assert.equal(json[0]!.records![0]!.name, 'example.com');
  });

  it('names the line, column and field of every error', () => {
    fails(
      'zones:\n  - name: x.com\n    records:\n      - { name: a, type: A, ttl: -5, records: [] }\n',
      /^zone\.yaml:4:\d+: zones\[0\]\.records\[0\]\.ttl: expected a TTL >= 0/,
    );
    fails(
      'zones:\n  - name: x.com\n    records:\n      - name: a\n        type: A\n        records: [1.2.3.4, nope]\n',
      /^zone\.yaml:6:\d+: zones\[0\]\.records\[0\]\.records\[1\]\.value: expected an IPv4 address/,
    );
    fails(
      'name: x.com\nrecords:\n  - { name: a, type: MX, records: [] }\n',
      /^zone\.yaml:3:\d+: records\[0\]\.type: expected one of A, AAAA/,
    );
    fails(
      'name: x.com\nrecords:\n  - { name: a, type: A, records: [], color: red }\n',
      /^zone\.yaml:3:\d+: records\[0\]/,
    );
    fails(
      'name: x.com\nrecords:\n  - { name: a, type: A, records: [] }\n  - { name: a, type: A, records: [] }\n',
      /^zone\.yaml:4:\d+: records\[1\]: a second A record set/,
    );
    fails(
      'name: x.com\nrecords:\n  - { name: a, type: A, records: [127.0.0.1] }\n  - { name: a, type: CNAME, records: [b.org] }\n',
      /^zone\.yaml:\d+:\d+: records\[\d\]: .*CNAME cannot share/,
    );
    fails(
      'zones:\n  - name: x.com\n  - name: x.com\n',
      /^zone\.yaml:3:\d+: zones\[1\]\.name: zone "x\.com" is defined twice/,
    );
    fails('name: x.com\nrecords: [\n', /^zone\.yaml:\d+:\d+: /);
    fails('name: x.com\nname: y.com\n', /^zone\.yaml:2:\d+: .*[Mm]ap keys must be unique/);
    fails('- 1\n- 2\n', /expected a zone/);
    fails(
      '{"name": "x.com", "records": [{"name": "a", "type": "A", "records": ["x"]}]}',
      /^z\.json:1:\d+: records\[0\]\.records\[0\]\.value/,
      'z.json',
    );
    fails('zones: []\n', /zones: expected at least one zone/);
  });

  it('loads files and reports unreadable ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-zone-'));
    const file = join(dir, 'zone.yaml');
    writeFileSync(file, yaml);
    assert.equal((await loadZoneFile(file)).length, 2);
    await assert.rejects(loadZoneFile(join(dir, 'missing.yaml')), (e) => isFailsmallError(e, 'FS_ERR_CHAOS_ZONE_FILE'));
  });
});
