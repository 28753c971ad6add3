/**
 * Adds to one image that arrive together in one process run as one batch under the image's lock
 * (group commit, src/members/store/member-adds.ts). A batch must decide each add exactly as if they
 * had run one after the other: the limit before duplicates, one row per member, a removed member
 * revived once with its original created_at, and the primary key's last-guard refusal costing
 * only the add it concerns.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, engine, type TestApp } from '../helpers/build-app.ts';
import { MEMBER, OWNER, makeImage, messageOf } from '../helpers/fixtures.ts';
import { ConflictError } from '../../src/base/errors.ts';
import { createMemberService } from '../../src/members/services/member-service.ts';
import type { Caller } from '../../src/base/domain.ts';
import { createMemberLock, type MemberLock } from '../../src/members/store/member-lock.ts';
import { createMemberStore, type MemberStore } from '../../src/members/store/member-store.ts';

const LIMIT = 10;

describe(`adds batched in one process (${engine})`, () => {
  let t: TestApp;

  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, memberLimits: { default: LIMIT } });
  });
  after(async () => {
    await t.close();
  });

  it(`40 simultaneous adds (30 distinct, one member 10 times) under a limit of ${LIMIT}: decided as if one by one`, async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    const members = [...Array.from({ length: 30 }, (_, i) => `p-${i}`), ...Array<string>(10).fill('p-twice')];
    const answers = await Promise.all(members.map((member) => t.request.post(url).set(OWNER).send({ member })));
    const statuses = answers.map((res) => res.status);
    assert.equal(statuses.filter((s) => s === 200).length, LIMIT, JSON.stringify(statuses));
    assert.ok(
      statuses.every((s) => s === 200 || s === 409 || s === 413),
      JSON.stringify(statuses),
    );
    for (const res of answers.filter((r) => r.status === 413)) {
      // One by one, every add after the tenth attempts the eleventh member.
      assert.match(messageOf(res.body), new RegExp(`Attempted: ${LIMIT + 1}, Maximum: ${LIMIT}:$`));
    }
    const twice = answers.filter((_, i) => members[i] === 'p-twice' && answers[i]!.status === 200);
    assert.ok(twice.length <= 1, 'one member is never added twice');
    for (const res of answers.filter((r) => r.status === 409)) {
      assert.equal(messageOf(res.body), `Member p-twice is duplicated for image ${image.id}`);
    }
    const rows = await t.db('image_members').where({ image_id: image.id }).orderBy('seq');
    assert.equal(rows.length, LIMIT);
    assert.deepEqual(
      rows.map((row: { seq: number }) => row.seq),
      Array.from({ length: LIMIT }, (_, i) => i + 1),
      'list positions stay dense and in order',
    );
    const list = await t.request.get(url).set(OWNER).expect(200);
    assert.deepEqual(
      list.body.members.map((m: { member_id: string }) => m.member_id).sort(),
      answers.flatMap((res, i) => (res.status === 200 ? [members[i]] : [])).sort(),
      'exactly the acknowledged adds are listed',
    );
  });

  it('a removed member re-added among simultaneous adds comes back once, with its first created_at', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    const first = await t.request.post(url).set(OWNER).send({ member: 'p-back' }).expect(200);
    await t.request.delete(`${url}/p-back`).set(OWNER).expect(204);
    t.clock.advance(60);
    const members = ['p-back', 'p-x', 'p-back', 'p-y', 'p-back'];
    const answers = await Promise.all(members.map((member) => t.request.post(url).set(OWNER).send({ member })));
    assert.deepEqual(answers.map((res) => res.status).sort(), [200, 200, 200, 409, 409]);
    const revived = answers.find((res, i) => members[i] === 'p-back' && res.status === 200)!;
    assert.equal(revived.body.created_at, first.body.created_at);
    assert.notEqual(revived.body.updated_at, first.body.updated_at);
    assert.equal(revived.body.status, 'pending');
    const rows = await t.db('image_members').where({ image_id: image.id, deleted: false });
    assert.equal(rows.length, 3);
  });

  it('an image deleted before a batch takes its lock: every add of the batch gets 404', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    const answers = await Promise.all([
      ...['p-1', 'p-2', 'p-3'].map((member) => t.request.post(url).set(OWNER).send({ member })),
      t.request.delete(`/v2/images/${image.id}`).set(OWNER),
    ]);
    for (const res of answers.slice(0, 3)) {
      assert.ok(res.status === 200 || res.status === 404, String(res.status));
      if (res.status === 404) assert.equal(messageOf(res.body), `Image ${image.id} not found.`);
    }
    assert.equal(answers[3]!.status, 204);
    assert.equal((await t.db('image_members').where({ image_id: image.id, deleted: false })).length, 0);
  });

  it('24 simultaneous status changes of one member: each answered with its own status, the last one stays', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    await t.request.post(url).set(OWNER).send({ member: 'p-member' }).expect(200);
    const wanted = Array.from({ length: 24 }, (_, i) => (['accepted', 'rejected', 'pending'] as const)[i % 3]!);
    const answers = await Promise.all(wanted.map((status) => t.request.put(`${url}/p-member`).set(MEMBER).send({ status })));
    answers.forEach((res, i) => {
      assert.equal(res.status, 200);
      assert.equal(res.body.status, wanted[i]);
    });
    const row = await t.db('image_members').where({ image_id: image.id, member_id: 'p-member' }).first();
    assert.ok(wanted.includes(row.status));
    const show = await t.request.get(`${url}/p-member`).set(MEMBER).expect(200);
    assert.equal(show.body.status, row.status);
  });

  it('status changes racing a removal in one process: the removed row stays removed, late changes get 404', async () => {
    for (let round = 0; round < 3; round += 1) {
      const image = await makeImage(t);
      const url = `/v2/images/${image.id}/members`;
      await t.request.post(url).set(OWNER).send({ member: 'p-member' }).expect(200);
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          i === 12
            ? t.request.delete(`${url}/p-member`).set(OWNER)
            : t.request
                .put(`${url}/p-member`)
                .set(MEMBER)
                .send({ status: i % 2 ? 'accepted' : 'rejected' }),
        ),
      );
      assert.equal(answers[12]!.status, 204);
      for (const res of answers) {
        assert.ok([200, 204, 404].includes(res.status), String(res.status));
        // Read after the removal, the image itself is hidden from the ex-member; read before, the row is gone by the update.
        if (res.status === 404) {
          assert.ok(
            [`Image ${image.id} not found.`, `p-member not found in the member list of the image ${image.id}.`].includes(
              messageOf(res.body),
            ),
          );
        }
      }
      const row = await t.db('image_members').where({ image_id: image.id, member_id: 'p-member' }).first();
      assert.equal(Boolean(row.deleted), true);
    }
  });

  it('when the primary key refuses one add of a batch, the others are retried alone and only that one gets 409', async () => {
    const image = await makeImage(t);
    const realLock = createMemberLock(t.db);
    const members = ['p-a', 'p-b', 'p-raced', 'p-c'];
    let reads = 0;
    const batchSizes: number[] = [];
    // A row committed elsewhere between the batch's read and its insert (which the image lock
    // prevents) is simulated: every insert of p-raced is refused as the primary key would.
    const lock: MemberLock = {
      async withImageLock(imageId, memberIds, options, work) {
        batchSizes.push(memberIds.length);
        // Hold the first add until every other one has read the image, so they gather into one batch.
        if (batchSizes.length === 1) await until(() => reads === members.length);
        return realLock.withImageLock(imageId, memberIds, options, async (writes, state) =>
          work(
            {
              ...writes,
              async insert(rows) {
                if (rows.some((row) => row.memberId === 'p-raced')) throw new ConflictError('member p-raced exists');
                return writes.insert(rows);
              },
            },
            state,
          ),
        );
      },
    };
    const real = createMemberStore(t.db, { lock });
    const store: MemberStore = {
      ...real,
      async read(...args) {
        const read = await real.read(...args);
        reads += 1;
        return read;
      },
    };
    const service = createMemberService({ members: store, clock: t.clock, policyMode: 'new-defaults', limits: { default: -1, rules: [] } });
    const owner: Caller = { projectId: 'p-owner', userId: undefined, roles: ['member', 'reader'], isAdmin: false };
    const outcomes = await Promise.allSettled(members.map((member) => service.add(owner, image.id, member)));
    assert.equal(batchSizes[1], 3, `one add alone, then the other three as one batch: ${JSON.stringify(batchSizes)}`);
    members.forEach((member, i) => {
      const outcome = outcomes[i]!;
      if (member === 'p-raced') {
        assert.equal(outcome.status, 'rejected');
        assert.ok(outcome.status === 'rejected' && outcome.reason instanceof ConflictError);
        assert.equal((outcome.reason as Error).message, `Member p-raced is duplicated for image ${image.id}`);
      } else {
        assert.equal(outcome.status, 'fulfilled', `${member}: ${JSON.stringify(outcome)}`);
      }
    });
    const rows = await t.db('image_members').where({ image_id: image.id, deleted: false });
    assert.deepEqual(rows.map((row: { member_id: string }) => row.member_id).sort(), ['p-a', 'p-b', 'p-c']);
  });
});

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the other adds');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
