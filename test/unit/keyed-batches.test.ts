import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKeyedBatches, type RunBatch } from '../../src/store/keyed-batches.ts';

/** A batch runner that records each batch and finishes only when told to. */
function heldRunner() {
  const batches: Array<{ key: string; items: number[] }> = [];
  const releases: Array<() => void> = [];
  const run: RunBatch<number, string> = async (key, items) => {
    batches.push({ key, items: [...items] });
    await new Promise<void>((resolve) => releases.push(resolve));
    return items.map((item) =>
      item < 0 ? { status: 'rejected', reason: new Error(`negative ${item}`) } : { status: 'fulfilled', value: `${key}:${item}` },
    );
  };
  /** Lets the oldest running batch finish, then waits for the batches' promise chains to settle. */
  const releaseNext = async (): Promise<void> => {
    releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batches, run, releaseNext };
}

describe('keyed batches (group commit)', () => {
  it('runs a submission to an idle key at once, alone', async () => {
    const runner = heldRunner();
    const batches = createKeyedBatches(runner.run, 10);
    const result = batches.submit('image-1', 1);
    assert.deepEqual(runner.batches, [{ key: 'image-1', items: [1] }]);
    await runner.releaseNext();
    assert.equal(await result, 'image-1:1');
  });

  it('gathers what arrives while a batch runs into the next one, in arrival order, each with its own outcome', async () => {
    const runner = heldRunner();
    const batches = createKeyedBatches(runner.run, 10);
    const first = batches.submit('image-1', 1);
    const waiting = [2, -3, 4].map((item) =>
      batches.submit('image-1', item).then(
        (value) => value,
        (error: Error) => error.message,
      ),
    );
    assert.equal(runner.batches.length, 1, 'nothing else starts while the key is busy');
    await runner.releaseNext();
    assert.equal(await first, 'image-1:1');
    assert.deepEqual(runner.batches[1], { key: 'image-1', items: [2, -3, 4] });
    await runner.releaseNext();
    assert.deepEqual(await Promise.all(waiting), ['image-1:2', 'negative -3', 'image-1:4']);
  });

  it('never puts more than the maximum into one batch', async () => {
    const runner = heldRunner();
    const batches = createKeyedBatches(runner.run, 3);
    const all = [0, 1, 2, 3, 4, 5, 6, 7].map((item) => batches.submit('k', item));
    for (let i = 0; i < 4; i += 1) await runner.releaseNext();
    assert.deepEqual(
      runner.batches.map((batch) => batch.items),
      [[0], [1, 2, 3], [4, 5, 6], [7]],
    );
    assert.deepEqual(
      await Promise.all(all),
      [0, 1, 2, 3, 4, 5, 6, 7].map((item) => `k:${item}`),
    );
  });

  it('runs different keys side by side', async () => {
    const runner = heldRunner();
    const batches = createKeyedBatches(runner.run, 10);
    const a = batches.submit('a', 1);
    const b = batches.submit('b', 1);
    assert.deepEqual(
      runner.batches.map((batch) => batch.key),
      ['a', 'b'],
    );
    await runner.releaseNext();
    await runner.releaseNext();
    assert.deepEqual(await Promise.all([a, b]), ['a:1', 'b:1']);
  });

  it('rejects every item of a batch whose run throws, and goes on with the next batch', async () => {
    let calls = 0;
    let release: () => void = () => {};
    const batches = createKeyedBatches<number, number>(async (_key, items) => {
      calls += 1;
      if (calls === 1) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return items.map((value) => ({ status: 'fulfilled', value }));
      }
      if (calls === 2) throw new Error('database unavailable');
      return items.map((value) => ({ status: 'fulfilled', value: value * 10 }));
    }, 10);
    const first = batches.submit('k', 1);
    const failing = [2, 3].map((item) => batches.submit('k', item).catch((error: Error) => error.message));
    release();
    assert.equal(await first, 1);
    assert.deepEqual(await Promise.all(failing), ['database unavailable', 'database unavailable']);
    assert.equal(await batches.submit('k', 4), 40, 'the key is usable again after a failed batch');
  });
});
