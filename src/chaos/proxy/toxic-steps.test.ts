import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from '../../core/clock.js';
import { seededRandom } from '../../core/random.js';
import { parseToxic } from './toxic.js';
import { type Chunk, createStep, sliceOffsets, type StepContext } from './toxic-steps.js';

function harness(clock: VirtualClock): { ctx: StepContext; events: string[]; out: { at: number; bytes: number }[] } {
  const events: string[] = [];
  const out: { at: number; bytes: number }[] = [];
  const ctx: StepContext = {
    clock,
    random: seededRandom(3),
    state: { transmitted: 0 },
    sleep: (ms) => clock.sleep(ms).then(() => true),
    close: () => events.push(`close@${clock.now()}`),
    reset: () => events.push(`reset@${clock.now()}`),
  };
  return { ctx, events, out };
}

const sink =
  (clock: VirtualClock, out: { at: number; bytes: number }[]) =>
  (c: Chunk): Promise<void> => {
    out.push({ at: clock.now(), bytes: c.data.length });
    return Promise.resolve();
  };

describe('toxic steps on a virtual clock', () => {
  it('latency delays each chunk from the time it was read, not cumulatively', async () => {
    const clock = new VirtualClock();
    const { ctx, out } = harness(clock);
    const step = createStep(parseToxic({ type: 'latency', attributes: { latency: 100 } }), ctx);
    const done = (async () => {
      await step.data({ data: Buffer.from('a'), at: 0 }, sink(clock, out));
      await step.data({ data: Buffer.from('b'), at: 10 }, sink(clock, out));
    })();
    await clock.advance(200);
    await done;
    assert.deepEqual(
      out.map((o) => o.at),
      [100, 110],
    );
  });

  it('latency with jitter stays within latency ± jitter', async () => {
    const clock = new VirtualClock();
    const { ctx, out } = harness(clock);
    const step = createStep(parseToxic({ type: 'latency', attributes: { latency: 100, jitter: 30 } }), ctx);
    for (let i = 0; i < 50; i++) {
      const at = clock.now();
      const p = step.data({ data: Buffer.from('x'), at }, sink(clock, out));
      await clock.advance(200);
      await p;
      const d = out.at(-1)!.at - at;
      assert.ok(d >= 70 && d <= 130, `${d}`);
    }
  });

  it('bandwidth passes rate KB/s, in 100 ms pieces at low rates', async () => {
    const clock = new VirtualClock();
    const { ctx, out } = harness(clock);
    const step = createStep(parseToxic({ type: 'bandwidth', attributes: { rate: 10 } }), ctx); // 10 B/ms
    const p = step.data({ data: Buffer.alloc(5_000), at: 0 }, sink(clock, out));
    await clock.advance(1_000);
    await p;
    assert.deepEqual(out, [
      { at: 100, bytes: 1000 },
      { at: 200, bytes: 1000 },
      { at: 300, bytes: 1000 },
      { at: 400, bytes: 1000 },
      { at: 500, bytes: 1000 },
    ]);
  });

  it('timeout drops data and closes after timeout; reset_peer resets timeout after the first data', async () => {
    const clock = new VirtualClock();
    const { ctx, events, out } = harness(clock);
    const t = createStep(parseToxic({ type: 'timeout', attributes: { timeout: 300 } }), ctx);
    await t.data({ data: Buffer.from('x'), at: 0 }, sink(clock, out));
    const r = createStep(parseToxic({ type: 'reset_peer', attributes: { timeout: 100 } }), ctx);
    const pr = r.data({ data: Buffer.from('y'), at: 0 }, sink(clock, out));
    await clock.advance(400);
    await pr;
    assert.deepEqual(out, []);
    assert.deepEqual(events, ['reset@100', 'close@300']);
  });

  it('limit_data passes exactly bytes then closes', async () => {
    const clock = new VirtualClock();
    const { ctx, events, out } = harness(clock);
    const step = createStep(parseToxic({ type: 'limit_data', attributes: { bytes: 150 } }), ctx);
    await step.data({ data: Buffer.alloc(100), at: 0 }, sink(clock, out));
    await step.data({ data: Buffer.alloc(100), at: 0 }, sink(clock, out));
    assert.deepEqual(
      out.map((o) => o.bytes),
      [100, 50],
    );
    assert.deepEqual(events, ['close@0']);
  });

  it('toxicity 0 never applies', async () => {
    const clock = new VirtualClock();
    const { ctx, out } = harness(clock);
    const step = createStep(parseToxic({ type: 'latency', toxicity: 0, attributes: { latency: 1000 } }), ctx);
    await step.data({ data: Buffer.from('x'), at: 0 }, sink(clock, out));
    assert.deepEqual(out, [{ at: 0, bytes: 1 }]);
  });

  it('sliceOffsets covers the chunk in order with pieces near the average', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer(),
        (n, avg, v, seed) => {
          const variation = Math.min(v, avg - 1);
          const cuts = sliceOffsets(0, n, avg, variation, seededRandom(seed));
          assert.equal(cuts[0], 0);
          assert.equal(cuts.at(-1), n);
          for (let i = 1; i < cuts.length; i++) {
            const size = cuts[i]! - cuts[i - 1]!;
            assert.ok(size > 0 || n === 0);
            assert.ok(size <= avg + variation || size <= 1, `piece ${size} > ${avg}+${variation}`);
          }
        },
      ),
    );
  });
});

describe('parseToxic', () => {
  it("applies Toxiproxy's defaults and refuses bad attributes with its message shape", () => {
    assert.deepEqual(parseToxic({ type: 'slicer' }), {
      attributes: { average_size: 0, size_variation: 0, delay: 0 },
      name: 'slicer_downstream',
      type: 'slicer',
      stream: 'downstream',
      toxicity: 1,
    });
    assert.throws(() => parseToxic({ type: 'latency', attributes: { latency: 1.5 } }), {
      code: 'FS_ERR_PROXY_BAD_REQUEST',
    });
    assert.throws(() => parseToxic({ type: 'latency', toxicity: 2 }), { code: 'FS_ERR_PROXY_BAD_REQUEST' });
    assert.throws(() => parseToxic({ type: 'latency', stream: 'up' }), { code: 'FS_ERR_PROXY_INVALID_STREAM' });
    assert.throws(() => parseToxic({ type: 'down' }), { code: 'FS_ERR_PROXY_INVALID_TOXIC_TYPE' });
  });
});
