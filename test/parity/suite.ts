/**
 * One parity run: start Glance and glance-share in a policy mode, play every scenario against both,
 * fail each scenario on its unexpected differences, and print the totals at the end.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { PolicyMode } from '../../src/base/config.ts';
import { ADMIN, Parity, summaryLine } from './harness.ts';
import { KNOWN_DIFFERENCES } from './known-differences.ts';
import { startPeers, type Peers } from './peers.ts';
import { SCENARIOS } from './scenarios.ts';
import { closeConnections, send } from './wire.ts';

export function defineParitySuite(mode: PolicyMode): void {
  describe(`parity with Glance 25.1, ${mode} policy mode`, { timeout: 240_000 }, () => {
    let peers: Peers | undefined;
    let parity: Parity;
    const started = Date.now();
    let startedIn = 0;

    before(async () => {
      peers = await startPeers(mode);
      startedIn = (Date.now() - started) / 1000;
      parity = new Parity(mode, peers.glanceUrl, peers.shareUrl);
      // Glance's first request is slow; warm both up outside the comparison.
      const warmUp = {
        method: 'GET',
        path: '/v2/schemas/member',
        headers: { 'X-Identity-Status': 'Confirmed', 'X-Project-Id': ADMIN.project, 'X-Roles': ADMIN.roles },
      };
      await Promise.all([send(peers.glanceUrl, warmUp), send(peers.shareUrl, warmUp)]);
    });

    after(async () => {
      closeConnections();
      const stopping = Date.now();
      await peers?.stop();
      const stoppedIn = (Date.now() - stopping) / 1000;
      if (parity === undefined) return;
      const totals = parity.totals();
      const facts = parity.factTotals();
      const known = KNOWN_DIFFERENCES.map(
        (entry) => `${entry.id}${entry.pendingFix ? ' (PENDING FIX)' : ''}: ${totals.byKnown.get(entry.id) ?? 0}`,
      ).join(', ');
      const dumpTo = process.env['PARITY_DUMP'];
      if (dumpTo !== undefined && dumpTo !== '') writeFileSync(`${dumpTo}.${mode}.json`, JSON.stringify(parity.dump(), null, 1));
      console.log(summaryLine(mode, totals));
      console.log(`parity ${mode}: known differences by entry: ${known}`);
      console.log(
        `parity ${mode}: ${facts.checked} per-side facts checked, ${facts.failed} failed; ` +
          `servers started in ${startedIn.toFixed(1)} s, stopped in ${stoppedIn.toFixed(1)} s, ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
      );
    });

    for (const scenario of SCENARIOS) {
      it(scenario.name, async () => {
        parity.scenario = scenario.name;
        await scenario.run(parity);
        const failures = parity.failures(scenario.name);
        assert.equal(failures, '', `unexpected differences from Glance:\n\n${failures}\n`);
      });
    }

    // Keeps the list exact: an entry that no longer occurs (say, a pending fix that landed) must go.
    it('every known difference still occurs', () => {
      const hits = parity.totals().byKnown;
      const stale = KNOWN_DIFFERENCES.filter((entry) => entry.modes === undefined || entry.modes.includes(mode))
        .filter((entry) => (hits.get(entry.id) ?? 0) === 0)
        .map((entry) => entry.id);
      assert.deepEqual(
        stale,
        [],
        `known differences that no longer occur in ${mode} mode; remove them from test/parity/known-differences.ts`,
      );
    });
  });
}
