/**
 * The member service's rules without HTTP or a database: an in-memory MemberStore (the same
 * interface the knex store implements) runs each add's `decide` as the real store does under the
 * image lock. What is checked here is the order and wording of Glance's rules; how the real store
 * commits is covered by test/api/members-*.test.ts on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Caller, Image, Member, MemberStatus } from '../../src/base/domain.ts';
import { ApiError, ConflictError } from '../../src/base/errors.ts';
import { createMemberService, type MemberService } from '../../src/members/services/member-service.ts';
import type { AddRequest, MemberRead, MemberReadOptions, MemberStore, StatusChange } from '../../src/members/store/member-store.ts';

/** Members of images kept in maps; removal is a soft delete, as in the real store. */
class FakeMemberStore implements MemberStore {
  readonly images = new Map<string, Image>();
  readonly rows = new Map<string, Array<Member & { deleted: boolean }>>();
  /** Makes the next add of this member fail as a racing insert would (the primary key's refusal). */
  raceOn: string | undefined;

  async read(imageId: string, callerProjectId: string, options: MemberReadOptions = {}): Promise<MemberRead | undefined> {
    const image = this.images.get(imageId);
    if (image === undefined) return undefined;
    const liveRows = this.live(imageId);
    const listRead = options.members === 'all' || (options.members === 'if-caller-owns' && image.owner === callerProjectId);
    return {
      image,
      callerRow: liveRows.find((m) => m.memberId === callerProjectId),
      member: options.memberId === undefined ? undefined : liveRows.find((m) => m.memberId === options.memberId),
      members: listRead ? liveRows : undefined,
    };
  }

  async add(request: AddRequest): Promise<Member | undefined> {
    if (!this.images.has(request.imageId)) return undefined;
    const liveRows = this.live(request.imageId);
    const refusal = request.decide({
      memberCount: request.countMembers ? liveRows.length : undefined,
      isMember: liveRows.some((m) => m.memberId === request.memberId),
    });
    if (refusal !== undefined) throw refusal;
    if (this.raceOn === request.memberId) throw new ConflictError('primary key');
    const rows = this.rows.get(request.imageId) ?? [];
    const removed = rows.find((m) => m.memberId === request.memberId);
    const member = { imageId: request.imageId, memberId: request.memberId, status: 'pending' as MemberStatus, updatedAt: request.now };
    if (removed !== undefined) Object.assign(removed, member, { deleted: false });
    else rows.push({ ...member, createdAt: request.now, deleted: false });
    this.rows.set(request.imageId, rows);
    return this.live(request.imageId).find((m) => m.memberId === request.memberId);
  }

  async setStatus(imageId: string, change: StatusChange): Promise<Member | undefined> {
    const row = this.rows.get(imageId)?.find((m) => m.memberId === change.memberId && !m.deleted);
    if (row === undefined) return undefined;
    if (row.status !== change.status) Object.assign(row, { status: change.status, updatedAt: change.now });
    return this.live(imageId).find((m) => m.memberId === change.memberId);
  }

  async remove(imageId: string, memberId: string): Promise<boolean> {
    const row = this.rows.get(imageId)?.find((m) => m.memberId === memberId && !m.deleted);
    if (row !== undefined) row.deleted = true;
    return row !== undefined;
  }

  private live(imageId: string): Member[] {
    return (this.rows.get(imageId) ?? []).filter((m) => !m.deleted).map(({ deleted: _deleted, ...member }) => member);
  }
}

const caller = (projectId: string, roles = ['member', 'reader']): Caller => ({
  projectId,
  userId: undefined,
  roles,
  isAdmin: roles.includes('admin'),
});
const OWNER = caller('p-owner');
const MEMBER = caller('p-member');
const STRANGER = caller('p-stranger');
const ADMIN = caller('p-admin', ['admin', 'member', 'reader']);

function image(id: string, fields: Partial<Image> = {}): Image {
  return {
    ...{ id, name: id, status: 'active', visibility: 'shared', owner: 'p-owner', protected: false, osHidden: false },
    ...{ checksum: null, osHashAlgo: null, osHashValue: null, size: null, virtualSize: null, diskFormat: 'raw', containerFormat: 'bare' },
    ...{ minDisk: 0, minRam: 0, createdAt: '2026-12-08T00:00:00.000Z', updatedAt: '2026-12-08T00:00:00.000Z', tags: [] },
    properties: {},
    ...fields,
  };
}

function setUp(options: { policyMode?: 'new-defaults' | 'legacy'; limit?: number } = {}): {
  store: FakeMemberStore;
  service: MemberService;
} {
  const store = new FakeMemberStore();
  store.images.set('img', image('img'));
  store.images.set('private', image('private', { visibility: 'private' }));
  store.images.set('server', image('server', { properties: { image_type: 'full-server' } }));
  const service = createMemberService({
    members: store,
    clock: { now: () => new Date('2026-12-08T01:02:03.456Z') },
    policyMode: options.policyMode ?? 'new-defaults',
    limits: { default: options.limit ?? 128, rules: [{ property: 'image_type', values: ['full-server'], limit: 2 }] },
  });
  return { store, service };
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  const error: unknown = await promise.then(
    () => assert.fail('expected a refusal'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof ApiError, String(error));
  return { status: error.status, message: error.message };
}

describe('member service rules (in-memory store)', () => {
  it('the owner adds a member, who starts pending with the clock time', async () => {
    const { service } = setUp();
    const member = await service.add(OWNER, 'img', 'p-member');
    assert.deepEqual(member, {
      imageId: 'img',
      memberId: 'p-member',
      status: 'pending',
      createdAt: '2026-12-08T01:02:03.456Z',
      updatedAt: '2026-12-08T01:02:03.456Z',
    });
  });

  it('the image-type limit applies before the duplicate check: a full image answers 413 even to a re-add', async () => {
    const { service } = setUp();
    await service.add(OWNER, 'server', 'p-1');
    await service.add(OWNER, 'server', 'p-2');
    assert.deepEqual(await refusal(service.add(OWNER, 'server', 'p-1')), {
      status: 413,
      message:
        'Image member limit exceeded for image server: The limit has been exceeded on the number of allowed image members for this image. Attempted: 3, Maximum: 2:',
    });
  });

  it('a duplicate under the limit is 409 with Glance text; a racing insert refused by the key reads the same', async () => {
    const { store, service } = setUp();
    await service.add(OWNER, 'img', 'p-member');
    assert.deepEqual(await refusal(service.add(OWNER, 'img', 'p-member')), {
      status: 409,
      message: 'Member p-member is duplicated for image img',
    });
    store.raceOn = 'p-raced';
    assert.deepEqual(await refusal(service.add(OWNER, 'img', 'p-raced')), {
      status: 409,
      message: 'Member p-raced is duplicated for image img',
    });
  });

  it('a limit of 0 forbids sharing; a negative limit never refuses', async () => {
    assert.equal((await refusal(setUp({ limit: 0 }).service.add(OWNER, 'img', 'p-member'))).status, 413);
    const { service } = setUp({ limit: -1 });
    for (let i = 0; i < 200; i++) await service.add(OWNER, 'img', `p-${i}`);
    assert.equal((await service.list(OWNER, 'img')).length, 200);
  });

  it('a stranger cannot see a shared image it is no member of: 404, not 403', async () => {
    const { service } = setUp();
    assert.deepEqual(await refusal(service.add(STRANGER, 'img', 'p-x')), { status: 404, message: 'Image img not found.' });
    assert.deepEqual(await refusal(service.list(STRANGER, 'img')), { status: 404, message: 'Image img not found.' });
  });

  it('only shared images have members', async () => {
    const { service } = setUp();
    assert.deepEqual(await refusal(service.add(OWNER, 'private', 'p-member')), {
      status: 403,
      message: 'Not allowed to create members for image private.',
    });
    assert.deepEqual(await refusal(service.list(OWNER, 'private')), {
      status: 403,
      message: 'Not allowed to list members for image private: Only shared images have members.',
    });
  });

  it('a member sees only its own row, and may not add others (new-defaults: the policy names the rule)', async () => {
    const { service } = setUp();
    await service.add(OWNER, 'img', 'p-member');
    await service.add(OWNER, 'img', 'p-member2');
    assert.deepEqual(
      (await service.list(MEMBER, 'img')).map((m) => m.memberId),
      ['p-member'],
    );
    assert.deepEqual(await refusal(service.add(MEMBER, 'img', 'p-x')), {
      status: 403,
      message: 'You are not authorized to complete add_member action.',
    });
    assert.deepEqual(await refusal(service.show(MEMBER, 'img', 'p-member2')), {
      status: 404,
      message: 'p-member2 not found in the member list of the image img.',
    });
  });

  it('legacy mode: a member may not add others, with the legacy text', async () => {
    const { service } = setUp({ policyMode: 'legacy' });
    await service.add(OWNER, 'img', 'p-member');
    assert.deepEqual(await refusal(service.add(MEMBER, 'img', 'p-x')), {
      status: 403,
      message: 'Not allowed to create members for image img.',
    });
  });

  it('the member accepts; the owner may not; the status value is checked only after the rights', async () => {
    const { service } = setUp();
    await service.add(OWNER, 'img', 'p-member');
    assert.equal((await refusal(service.updateStatus(OWNER, 'img', 'p-member', 'accepted'))).status, 403);
    assert.equal((await refusal(service.updateStatus(STRANGER, 'img', 'p-member', 'bogus'))).status, 404);
    assert.deepEqual(await refusal(service.updateStatus(MEMBER, 'img', 'p-member', 'bogus')), {
      status: 400,
      message: 'Incorrect request: Status must be "pending", "accepted" or "rejected".',
    });
    const accepted = await service.updateStatus(MEMBER, 'img', 'p-member', 'accepted');
    assert.equal(accepted.status, 'accepted');
    assert.equal((await service.updateStatus(MEMBER, 'img', 'p-member', 'rejected')).status, 'rejected');
    assert.equal((await service.updateStatus(ADMIN, 'img', 'p-member', 'pending')).status, 'pending');
  });

  it('the owner removes a member; the member cannot remove itself; a removed member is gone', async () => {
    const { service } = setUp();
    await service.add(OWNER, 'img', 'p-member');
    assert.equal((await refusal(service.remove(MEMBER, 'img', 'p-member'))).status, 403);
    await service.remove(OWNER, 'img', 'p-member');
    assert.deepEqual(await refusal(service.remove(OWNER, 'img', 'p-member')), {
      status: 404,
      message: 'p-member not found in the member list of the image img.',
    });
    assert.deepEqual(await service.list(OWNER, 'img'), []);
  });
});
