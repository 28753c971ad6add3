/**
 * The Tempest conformance run as a node:test suite for one identity setup: start glance-share,
 * run the nine member tests, require exactly `9 passed` and nothing failed, skipped or errored.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Deployment, IdentitySetup } from './identity.ts';
import { TEMPEST_MEMBER_TESTS, runTempest } from './tempest.ts';

/** Registers the Tempest run for one identity setup (its own glance-share, policy new-defaults). */
export function describeTempest(setup: IdentitySetup): void {
  describe(`Tempest 33 image-member tests (${setup.name})`, () => {
    let workDir: string;
    let deployment: Deployment;

    before(async () => {
      workDir = mkdtempSync(join(tmpdir(), 'glance-share-e2e-tempest-'));
      // Tempest only checks status codes, so the policy mode is the service default's.
      deployment = await setup.start({ policyMode: 'new-defaults', memberLimit: 128, workDir });
    });
    after(async () => {
      await deployment?.stop();
      rmSync(workDir, { recursive: true, force: true });
    });

    it('runs the nine tests: 9 passed, none failed, skipped or errored', async (t) => {
      const result = await runTempest({
        identityUrl: deployment.authUrl,
        accounts: [deployment.owner, deployment.member],
      });
      t.diagnostic(`pytest: ${result.summary} (${(result.ms / 1000).toFixed(1)} s)`);
      console.log(`Tempest (${setup.name}): ${result.summary}`);
      const context = `\n--- pytest output ---\n${result.output.slice(-6000)}`;
      assert.equal(result.timedOut, false, `pytest timed out${context}`);
      assert.deepEqual(result.counts['passed'], 9, `expected 9 passed, got: ${result.summary}${context}`);
      for (const bad of ['failed', 'skipped', 'error', 'xfailed', 'xpassed', 'deselected']) {
        assert.equal(result.counts[bad] ?? 0, 0, `${bad} in: ${result.summary}${context}`);
      }
      assert.equal(result.code, 0, `pytest exit status${context}`);
      for (const id of TEMPEST_MEMBER_TESTS) {
        assert.equal(result.outcomes.get(id), 'PASSED', `${id} did not pass${context}`);
      }
      assert.equal(result.outcomes.size, TEMPEST_MEMBER_TESTS.length, `unexpected extra tests: ${[...result.outcomes.keys()].join(', ')}`);
    });
  });
}
