/**
 * The sharing workflow through openstacksdk 0.101 (Debian), password auth, for one identity
 * setup: support/sdk_workflow.py runs every call once and prints what each returned or raised;
 * the tests assert on that record (clients.md 3.4).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { PYTHON, cleanEnv, describeResult, runCli } from './cli.ts';
import { useDeployment } from './deployment-hooks.ts';
import type { Account, IdentitySetup } from './identity.ts';

interface MemberView {
  member_id: string;
  image_id: string;
  status: string;
  created_at: string;
  updated_at: string;
}
interface ErrorView {
  error: { type: string; status: number | null; message: string; details: string | null; request_id: string | null };
}
type Results = Record<string, unknown>;

const SCRIPT = join(import.meta.dirname, 'sdk_workflow.py');
const MEMBER_LIMIT = 2;

/** Registers the openstacksdk suite: one run of sdk_workflow.py, then one test per aspect of its record. */
export function describeSdk(setup: IdentitySetup): void {
  describe(`openstacksdk: conn.image member calls (${setup.name})`, () => {
    const ctx = useDeployment(setup, { policyMode: 'new-defaults', memberLimit: MEMBER_LIMIT });
    let results: Results = {};
    let imageId = '';
    const extraMember = randomBytes(16).toString('hex');

    const account = (a: Account) => ({ username: a.username, password: a.password, project_name: a.projectName, project_id: a.projectId });
    const value = <T>(key: string): T => {
      assert.ok(key in results, `no result for ${key}`);
      const entry = results[key] as T | ErrorView;
      assert.ok(entry === null || typeof entry !== 'object' || !('error' in (entry as object)), `${key} raised: ${JSON.stringify(entry)}`);
      return entry as T;
    };
    const failure = (key: string): ErrorView['error'] => {
      const entry = results[key] as ErrorView | undefined;
      assert.ok(entry && typeof entry === 'object' && 'error' in entry, `${key} should have raised: ${JSON.stringify(entry)}`);
      return entry.error;
    };
    const member = (status: string, id = (): string => ctx.deployment.member.projectId) => ({ member_id: id(), image_id: imageId, status });
    const strip = (m: MemberView) => ({ member_id: m.member_id, image_id: m.image_id, status: m.status });

    before(async () => {
      const d = ctx.deployment;
      const input = JSON.stringify({
        auth_url: d.authUrl,
        region: 'RegionOne',
        owner: account(d.owner),
        member: account(d.member),
        stranger: account(d.stranger),
        extra_member: extraMember,
        member_limit: MEMBER_LIMIT,
      });
      const result = await runCli(PYTHON, [SCRIPT], { env: cleanEnv(ctx.dir('sdk-home')), input, timeoutMs: 120_000 });
      assert.equal(result.code, 0, describeResult(result));
      results = JSON.parse(result.stdout) as Results;
      imageId = (results['image'] as { id: string }).id;
    });

    it('create_image with data: shared, active, owned by the owner project', () => {
      const image = value<{ status: string; checksum: string; visibility: string; owner: string }>('image');
      assert.equal(image.status, 'active');
      assert.equal(image.visibility, 'shared');
      assert.equal(image.owner, ctx.deployment.owner.projectId);
      assert.match(image.checksum, /^[0-9a-f]{32}$/);
    });

    it('add_member → pending; members() lists it', () => {
      const added = value<MemberView>('add_member');
      assert.deepEqual(strip(added), member('pending'));
      assert.match(added.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(value<MemberView[]>('members_owner').map(strip), [member('pending')]);
    });

    it("images(visibility='shared', member_status='pending') shows it to the member; the default (accepted) does not", () => {
      assert.ok(value<string[]>('pending_member_view').includes(imageId));
      assert.ok(!value<string[]>('accepted_before').includes(imageId));
    });

    it('get_member and find_member (whose stray ?image_id= is ignored) return the row', () => {
      assert.deepEqual(strip(value<MemberView>('get_member')), member('pending'));
      assert.deepEqual(strip(value<MemberView>('find_member')), member('pending'));
    });

    it("update_member(status='accepted') by the member; listed as accepted and under member_status='all'", () => {
      assert.deepEqual(strip(value<MemberView>('update_member')), member('accepted'));
      assert.ok(value<string[]>('accepted_after').includes(imageId));
      assert.ok(value<string[]>('all_member_view').includes(imageId));
      assert.deepEqual(value<MemberView[]>('members_member').map(strip), [member('accepted')]);
    });

    it("update_member(status='rejected'): listed under member_status='rejected', not 'pending'", () => {
      assert.deepEqual(strip(value<MemberView>('reject')), member('rejected'));
      assert.ok(value<string[]>('rejected_view').includes(imageId));
      assert.ok(!value<string[]>('pending_after_reject').includes(imageId));
    });

    it("a duplicate add_member raises ConflictException with Glance's 409 text", () => {
      const error = failure('duplicate');
      assert.equal(error.type, 'ConflictException');
      assert.equal(error.status, 409);
      assert.ok(error.message.includes(`Member ${ctx.deployment.member.projectId} is duplicated for image ${imageId}`), error.message);
    });

    it('the owner updating the member status raises 403 (new-defaults: modify_member policy)', () => {
      const error = failure('owner_accepts');
      assert.equal(error.type, 'HttpException');
      assert.equal(error.status, 403);
      assert.ok(error.message.includes('You are not authorized to complete modify_member action.'), error.message);
    });

    it('a stranger gets ResourceNotFound for the image and for its members', () => {
      const image = failure('stranger_get_image');
      assert.equal(image.type, 'ResourceNotFound');
      assert.ok(image.message.includes(`No image found with ID ${imageId}`), image.message);
      const members = failure('stranger_members');
      assert.equal(members.type, 'ResourceNotFound');
      assert.ok(members.message.includes(`Image ${imageId} not found.`), members.message);
    });

    it(`the member limit: a third member raises 413 … Maximum: ${MEMBER_LIMIT}`, () => {
      assert.deepEqual(
        strip(value<MemberView>('add_second')),
        member('pending', () => ctx.deployment.stranger.projectId),
      );
      const error = failure('over_limit');
      assert.equal(error.type, 'HttpException');
      assert.equal(error.status, 413);
      assert.ok(
        error.message.includes(
          `Image member limit exceeded for image ${imageId}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${MEMBER_LIMIT + 1}, Maximum: ${MEMBER_LIMIT}:`,
        ),
        error.message,
      );
    });

    it('add_member on a private image raises 403 Not allowed to create members', () => {
      assert.equal(value<string>('private_visibility'), 'private');
      const error = failure('share_private');
      assert.equal(error.status, 403);
      assert.match(error.message, /Not allowed to create members for image [0-9a-f-]{36}\./);
    });

    it('remove_member: rows gone; a second remove is ignored, or ResourceNotFound with ignore_missing=False', () => {
      assert.equal(value<null>('remove_member'), null);
      assert.equal(value<null>('remove_second'), null);
      assert.deepEqual(value<MemberView[]>('members_after_remove'), []);
      assert.equal(value<null>('remove_again_ignored'), null);
      const error = failure('remove_again_strict');
      assert.equal(error.type, 'ResourceNotFound');
      assert.ok(
        error.message.includes(`${ctx.deployment.member.projectId} not found in the member list of the image ${imageId}.`),
        error.message,
      );
      assert.ok(!value<string[]>('all_after_remove').includes(imageId));
    });

    it('delete_image: gone', () => {
      assert.equal(value<null>('delete_images'), null);
      assert.equal(failure('get_deleted').type, 'ResourceNotFound');
    });

    it('every error carries the X-Openstack-Request-Id', () => {
      for (const key of ['duplicate', 'owner_accepts', 'stranger_get_image', 'over_limit', 'share_private', 'remove_again_strict']) {
        assert.match(String(failure(key).request_id), /^req-[0-9a-f-]{36}$/, key);
      }
    });
  });
}
