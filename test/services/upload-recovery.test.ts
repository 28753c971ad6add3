/**
 * The schedule of upload recovery (src/images/services/upload-recovery.ts `createUploadRecovery`):
 * a first sweep at start, then one every half saving timeout until stopped; what a sweep recovered,
 * or why it failed, is logged, and a failure never stops the schedule. The sweep's own rules are
 * in test/api/upload-recovery.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createUploadRecovery } from '../../src/images/services/upload-recovery.ts';
import type { ImageFileStore } from '../../src/images/store/image-files.ts';
import type { ImageStore } from '../../src/images/store/image-store.ts';

/** A store and file store that count sweeps and answer what `outcome` says. */
function fakes(outcome: () => { reset: string[]; removedFiles: number } | Error) {
  let sweeps = 0;
  const store = {
    async resetStaleUploads() {
      sweeps += 1;
      const result = outcome();
      if (result instanceof Error) throw result;
      return result.reset;
    },
    async listIdsInStatus() {
      return [];
    },
  } as unknown as ImageStore;
  const files = {
    async removeLeftovers(inProgress: () => Promise<readonly string[]>) {
      await inProgress();
      const result = outcome();
      return result instanceof Error ? 0 : result.removedFiles;
    },
  } as unknown as ImageFileStore;
  const warnings: Array<[unknown, string]> = [];
  const logger = {
    warn(details: object, message: string) {
      warnings.push([details, message]);
    },
  };
  return { store, files, logger, warnings, sweeps: () => sweeps };
}

const clock = { now: () => new Date('2024-01-01T00:00:00.000Z') };

test('start sweeps once and logs what it recovered; nothing recovered, nothing logged', async () => {
  const quiet = fakes(() => ({ reset: [], removedFiles: 0 }));
  const idle = createUploadRecovery({ ...quiet, clock, savingTimeoutSeconds: 60 });
  await idle.start();
  idle.stop();
  assert.equal(quiet.sweeps(), 1);
  assert.deepEqual(quiet.warnings, []);

  const busy = fakes(() => ({ reset: ['i-1'], removedFiles: 2 }));
  const recovery = createUploadRecovery({ ...busy, clock, savingTimeoutSeconds: 60 });
  await recovery.start();
  recovery.stop();
  assert.deepEqual(busy.warnings, [[{ reset: ['i-1'], removedFiles: 2 }, 'recovered interrupted uploads']]);
});

test('a failed sweep is logged, start still resolves, and the next sweep comes anyway', async () => {
  const failure = new Error('database is down');
  const down = fakes(() => failure);
  // Every half timeout: 10 ms here.
  const recovery = createUploadRecovery({ ...down, clock, savingTimeoutSeconds: 0.02 });
  await recovery.start();
  assert.deepEqual(down.warnings[0], [{ err: failure }, 'could not recover interrupted uploads; trying again later']);
  await sleep(60);
  recovery.stop();
  const swept = down.sweeps();
  assert.ok(swept >= 3, `swept ${swept} times`);
  await sleep(40);
  assert.equal(down.sweeps(), swept, 'no sweep after stop');
});

test('stop before the first sweep finished: no schedule is left behind', async () => {
  const quiet = fakes(() => ({ reset: [], removedFiles: 0 }));
  const recovery = createUploadRecovery({ ...quiet, clock, savingTimeoutSeconds: 0.02 });
  const started = recovery.start();
  recovery.stop();
  await started;
  await sleep(40);
  assert.equal(quiet.sweeps(), 1);
});
