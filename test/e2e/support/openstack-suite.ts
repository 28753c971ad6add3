/**
 * The sharing workflow through the real `openstack` client (OSC 6.0, Debian), password auth, for
 * one identity setup. Each step asserts on what the client prints (`-f json` / `-f value`) and its
 * exit status; the expected request sequences are spec/clients.md section 3.2.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OPENSTACK, describeResult, passwordEnv, runCli, unreadableParts, type CliResult } from './cli.ts';
import { useDeployment } from './deployment-hooks.ts';
import type { Account, IdentitySetup } from './identity.ts';

type Json = Record<string, unknown>;

/** Registers the OSC workflow suite (its own glance-share: policy new-defaults, member limit 2). */
export function describeOpenstackClient(setup: IdentitySetup): void {
  describe(`openstack CLI: the sharing workflow (${setup.name})`, () => {
    const ctx = useDeployment(setup, { policyMode: 'new-defaults', memberLimit: 2 });
    const name = `e2e-osc-${randomBytes(4).toString('hex')}`;
    const content = randomBytes(64 * 1024 + 17);
    const md5 = createHash('md5').update(content).digest('hex');
    let imageId = '';

    const osc = (account: Account, ...args: string[]): Promise<CliResult> =>
      runCli(OPENSTACK, args, { env: passwordEnv(ctx.dir('home'), ctx.deployment.authUrl, account) });
    const ok = async (account: Account, ...args: string[]): Promise<string> => {
      const result = await osc(account, ...args);
      assert.equal(result.code, 0, describeResult(result));
      return result.stdout;
    };
    const json = async <T = Json>(account: Account, ...args: string[]): Promise<T> =>
      JSON.parse(await ok(account, ...args, '-f', 'json')) as T;
    /** The client failed with exit status 1 and printed `pattern` on stderr, and nothing on stdout. */
    const fails = async (account: Account, pattern: RegExp | string, ...args: string[]): Promise<CliResult> => {
      const result = await osc(account, ...args);
      assert.equal(result.code, 1, describeResult(result));
      assert.equal(result.stdout, '', describeResult(result));
      if (typeof pattern === 'string')
        assert.ok(result.stderr.includes(pattern), `expected ${JSON.stringify(pattern)} in:\n${describeResult(result)}`);
      else assert.match(result.stderr, pattern, describeResult(result));
      assert.deepEqual(unreadableParts(result.stderr), [], describeResult(result));
      return result;
    };
    const owner = (): Account => ctx.deployment.owner;
    const member = (): Account => ctx.deployment.member;
    const ids = (rows: Array<{ ID: string }>): string[] => rows.map((row) => row.ID);
    const memberRows = (rows: Array<Record<string, string>>) =>
      rows.map((row) => ({ image: row['Image ID'], member: row['Member ID'], status: row['Status'] }));
    /** OSC 6.0's `image set --accept|--reject|--pending --project P` PATCHes the owner after the member PUT; Glance refuses it (clients.md 3.2). */
    const ownerPatchRefused = (): RegExp =>
      new RegExp(`^HttpException: 403: Client Error for url: \\S+/v2/images/${imageId}, Forbidden$`, 'm');

    it('image create --file: a shared image; image show by name: active, checksum = md5 of the file', async () => {
      const file = join(ctx.dir('files'), 'disk.raw');
      writeFileSync(file, content);
      const created = await json(owner(), 'image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, name);
      assert.equal(created['name'], name);
      assert.equal(created['visibility'], 'shared');
      assert.equal(created['owner'], owner().projectId);
      assert.match(String(created['id']), /^[0-9a-f-]{36}$/);
      imageId = String(created['id']);

      const shown = await json(owner(), 'image', 'show', name);
      assert.equal(shown['id'], imageId);
      assert.equal(shown['status'], 'active');
      assert.equal(shown['checksum'], md5);
      assert.equal(shown['size'], content.length);
      assert.equal(shown['disk_format'], 'raw');
      assert.equal(shown['container_format'], 'bare');
    });

    it('image add project: the member starts pending', async () => {
      const added = await json(owner(), 'image', 'add', 'project', name, member().projectId);
      assert.equal(added['image_id'], imageId);
      assert.equal(added['member_id'], member().projectId);
      assert.equal(added['status'], 'pending');
      assert.equal(added['schema'], '/v2/schemas/member');
      assert.match(String(added['created_at']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      const rows = await json<Array<Record<string, string>>>(owner(), 'image', 'member', 'list', name);
      assert.deepEqual(memberRows(rows), [{ image: imageId, member: member().projectId, status: 'pending' }]);
    });

    it('image add project with no such project: exit 1, the 400 names it, nothing is shared', async () => {
      await fails(owner(), 'Invalid member no-such-project: no project has this id.', 'image', 'add', 'project', name, 'no-such-project');
      const rows = await json<Array<Record<string, string>>>(owner(), 'image', 'member', 'list', name);
      assert.deepEqual(memberRows(rows), [{ image: imageId, member: member().projectId, status: 'pending' }]);
    });

    it('the pending member sees the image under --member-status pending and by id, not by name', async () => {
      const [pending, , byId] = await Promise.all([
        json<Array<{ ID: string; Name: string }>>(member(), 'image', 'list', '--member-status', 'pending'),
        // find_image's `?name=` uses the default member_status=accepted (clients.md 3.2).
        fails(member(), `No Image found for ${name}`, 'image', 'show', name),
        ok(member(), 'image', 'show', imageId, '-f', 'value', '-c', 'name'),
      ]);
      assert.deepEqual(
        pending.filter((row) => row.ID === imageId),
        [{ ID: imageId, Name: name, Status: 'active' }],
      );
      assert.equal(byId.trim(), name);
    });

    it('image set --accept (without --project): accepted, listed in --shared', async () => {
      const accepted = await ok(member(), 'image', 'set', '--accept', imageId);
      assert.equal(accepted, '');
      const [rows, shared] = await Promise.all([
        json<Array<Record<string, string>>>(member(), 'image', 'member', 'list', imageId),
        json<Array<{ ID: string; Name: string }>>(member(), 'image', 'list', '--shared'),
      ]);
      // A member sees only its own row.
      assert.deepEqual(memberRows(rows), [{ image: imageId, member: member().projectId, status: 'accepted' }]);
      assert.deepEqual(
        shared.filter((row) => row.ID === imageId),
        [{ ID: imageId, Name: name, Status: 'active' }],
      );
    });

    it('image set --reject --project: rejected, then the owner PATCH is refused as Glance does (exit 1, 403 Forbidden)', async () => {
      await fails(member(), ownerPatchRefused(), 'image', 'set', '--reject', '--project', member().projectId, imageId);
      const [rows, rejected] = await Promise.all([
        json<Array<Record<string, string>>>(member(), 'image', 'member', 'list', imageId),
        json<Array<{ ID: string }>>(member(), 'image', 'list', '--member-status', 'rejected'),
      ]);
      assert.deepEqual(memberRows(rows), [{ image: imageId, member: member().projectId, status: 'rejected' }]);
      assert.ok(ids(rejected).includes(imageId));
    });

    it('image set --pending (without --project): pending again, listed by --shared --member-status pending', async () => {
      assert.equal(await ok(member(), 'image', 'set', '--pending', imageId), '');
      const sharedPending = await json<Array<{ ID: string }>>(member(), 'image', 'list', '--shared', '--member-status', 'pending');
      assert.ok(ids(sharedPending).includes(imageId));
    });

    it('image set --accept --project: accepted, the owner PATCH refused (exit 1), the owner unchanged', async () => {
      await fails(member(), ownerPatchRefused(), 'image', 'set', '--accept', '--project', member().projectId, imageId);
      // The owner's view of the row, and the owner unchanged by the refused PATCH.
      const [ownerRows, shownOwner] = await Promise.all([
        json<Array<Record<string, string>>>(owner(), 'image', 'member', 'list', name),
        ok(owner(), 'image', 'show', imageId, '-f', 'value', '-c', 'owner'),
      ]);
      assert.deepEqual(memberRows(ownerRows), [{ image: imageId, member: member().projectId, status: 'accepted' }]);
      assert.equal(shownOwner.trim(), owner().projectId);
    });

    it('image remove project: the member loses the image; removing again is silent (404 swallowed)', async () => {
      assert.equal(await ok(owner(), 'image', 'remove', 'project', name, member().projectId), '');
      const [rows, all, again] = await Promise.all([
        json<Array<Record<string, string>>>(owner(), 'image', 'member', 'list', name),
        json<Array<{ ID: string }>>(member(), 'image', 'list', '--member-status', 'all'),
        osc(owner(), 'image', 'remove', 'project', name, member().projectId),
      ]);
      assert.deepEqual(rows, []);
      assert.ok(!ids(all).includes(imageId));
      assert.equal(again.code, 0, describeResult(again));
      assert.equal(again.stdout + again.stderr, '');
    });

    it('image delete: gone for the owner too', async () => {
      assert.equal(await ok(owner(), 'image', 'delete', name), '');
      await fails(owner(), `No Image found for ${imageId}`, 'image', 'show', imageId);
    });
  });
}
