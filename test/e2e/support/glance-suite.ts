/**
 * The member workflow through the real `glance` client (python-glanceclient 4.1, Debian), password
 * auth, for one identity setup. glance starts with an empty HOME, so the first command downloads
 * and caches /v2/schemas/image and every later one runs from that cache (clients.md 1.6, 3.3).
 * glance has no machine-readable output: its tables are parsed.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { imageApi, type ImageApi } from './api.ts';
import { GLANCE, describeResult, parseTable, passwordEnv, runCli, type CliResult } from './cli.ts';
import { useDeployment } from './deployment-hooks.ts';
import type { Account, IdentitySetup } from './identity.ts';

/** Registers the glance CLI suite (its own glance-share and a fresh glance HOME). */
export function describeGlanceClient(setup: IdentitySetup): void {
  describe(`glance CLI: the member workflow (${setup.name})`, () => {
    const ctx = useDeployment(setup, { policyMode: 'new-defaults', memberLimit: 2 });
    let ownerApi: ImageApi;
    let imageId = '';
    const name = `e2e-glance-${randomBytes(4).toString('hex')}`;

    const home = (): string => ctx.dir('glance-home');
    const glance = (account: Account, ...args: string[]): Promise<CliResult> =>
      runCli(GLANCE, args, { env: passwordEnv(home(), ctx.deployment.authUrl, account) });
    const table = async (account: Account, ...args: string[]): Promise<Array<Record<string, string>>> => {
      const result = await glance(account, ...args);
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(result.stderr.trim(), '', describeResult(result));
      return parseTable(result.stdout);
    };
    const owner = (): Account => ctx.deployment.owner;
    const member = (): Account => ctx.deployment.member;
    const row = (status: string) => ({ 'Image ID': imageId, 'Member ID': member().projectId, Status: status });
    const listed = (rows: Array<Record<string, string>>): string[] => rows.map((r) => r['ID'] ?? '');
    /** glanceclient keys its cache directory by the SHA-1 of OS_AUTH_URL. */
    const schemaFile = (): string =>
      join(home(), '.glanceclient', createHash('sha1').update(ctx.deployment.authUrl).digest('hex'), 'image_schema.json');

    it('fixture: a shared image of the owner', async () => {
      ownerApi = await imageApi(ctx.deployment, owner());
      imageId = (await ownerApi.createImage({ name })).id;
      assert.equal(existsSync(schemaFile()), false, 'the schema cache must start empty');
    });

    it('member-create (empty schema cache): the member starts pending; the cached image schema has no stores', async () => {
      assert.deepEqual(await table(owner(), 'member-create', imageId, member().projectId), [row('pending')]);
      const schema = JSON.parse(readFileSync(schemaFile(), 'utf8')) as { name?: string; properties?: Record<string, unknown> };
      assert.equal(schema.name, 'image');
      assert.ok(schema.properties?.['id'], 'the cached schema is the image schema');
      assert.equal(schema.properties?.['stores'], undefined, '`stores` breaks glanceclient from the second run on');
    });

    it('member-list --image-id (second run, from the cached schema)', async () => {
      assert.deepEqual(await table(owner(), 'member-list', '--image-id', imageId), [row('pending')]);
    });

    it('image-list --member-status pending (also with --visibility shared) shows it to the member', async () => {
      const [pending, sharedPending, accepted] = await Promise.all([
        table(member(), 'image-list', '--member-status', 'pending'),
        table(member(), 'image-list', '--visibility', 'shared', '--member-status', 'pending'),
        table(member(), 'image-list'),
      ]);
      assert.deepEqual(
        pending.filter((r) => r['ID'] === imageId),
        [{ ID: imageId, Name: name }],
      );
      assert.ok(listed(sharedPending).includes(imageId));
      assert.ok(!listed(accepted).includes(imageId), 'a pending image is not in the default listing');
    });

    it('member-update accepted by the member; image-list --member-status accepted and the default listing show it', async () => {
      assert.deepEqual(await table(member(), 'member-update', imageId, member().projectId, 'accepted'), [row('accepted')]);
      const [accepted, plain] = await Promise.all([
        table(member(), 'image-list', '--member-status', 'accepted'),
        table(member(), 'image-list'),
      ]);
      assert.ok(listed(accepted).includes(imageId));
      assert.ok(listed(plain).includes(imageId));
    });

    it('member-update rejected; the member sees its own row, image-list --member-status rejected shows it', async () => {
      assert.deepEqual(await table(member(), 'member-update', imageId, member().projectId, 'rejected'), [row('rejected')]);
      const [rows, rejected] = await Promise.all([
        table(member(), 'member-list', '--image-id', imageId),
        table(member(), 'image-list', '--member-status', 'rejected'),
      ]);
      assert.deepEqual(rows, [row('rejected')]);
      assert.ok(listed(rejected).includes(imageId));
    });

    it("member-delete by the owner: no rows left, the image gone from the member's --member-status all", async () => {
      const deleted = await glance(owner(), 'member-delete', imageId, member().projectId);
      assert.equal(deleted.code, 0, describeResult(deleted));
      assert.equal((deleted.stdout + deleted.stderr).trim(), '', describeResult(deleted));
      const [rows, all] = await Promise.all([
        table(owner(), 'member-list', '--image-id', imageId),
        table(member(), 'image-list', '--member-status', 'all'),
      ]);
      assert.deepEqual(rows, []);
      assert.ok(!listed(all).includes(imageId));
      await ownerApi.deleteImage(imageId);
    });
  });
}
