import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Toxiproxy } from 'toxiproxy-node-client';

const main = new URL('./main.js', import.meta.url).pathname;

describe('failsmall proxy serve', () => {
  it('prints where it listens, serves a Toxiproxy client, exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-proxy-'));
    const config = join(dir, 'toxiproxy.json');
    writeFileSync(config, JSON.stringify([{ name: 'web', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' }]));
    const child = spawn(process.execPath, [main, 'proxy', 'serve', '--port', '0', '--config', config]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = /API on (http:\/\/[^ ]+)/.exec(out);
        if (m !== null) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const proxies = await new Toxiproxy(url).getAll();
    assert.deepEqual(Object.keys(proxies), ['web']);
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    assert.equal(code, 0);
    assert.match(out, /stopped/);
  });

  it('exits 2 on bad usage', async () => {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [main, 'proxy', 'serve', '--port', 'nope'], { stdio: 'ignore' });
      child.once('exit', resolve);
    });
    assert.equal(code, 2);
  });
});
