/** Member limits from configuration: per image type, unlimited, zero, admins, and 413 before 409. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApp, projectRoot, type TestApp } from '../helpers/build-app.ts';
import { ADMIN, OWNER, makeImage, messageOf } from '../helpers/fixtures.ts';

const limitText = (id: string, attempted: number, max: number): string =>
  `Image member limit exceeded for image ${id}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${max}:`;

async function fill(t: TestApp, imageId: string, count: number, caller = OWNER): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await t.request
      .post(`/v2/images/${imageId}/members`)
      .set(caller)
      .send({ member: `p-${i}` })
      .expect(200);
  }
}

describe('member limits: the provider profile shipped in config/provider-profile.json', () => {
  let t: TestApp;
  before(async () => {
    const profile = JSON.parse(readFileSync(join(projectRoot, 'config', 'provider-profile.json'), 'utf8')) as { memberLimits: unknown };
    t = await buildApp({ auth: { mode: 'trusted-headers' }, memberLimits: profile.memberLimits });
  });
  after(() => t.close());

  it('a full-server image allows 10 members', async () => {
    const image = await makeImage(t, { properties: { image_type: 'full-server' } });
    await fill(t, image.id, 10);
    const res = await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'one-too-many' });
    assert.equal(res.status, 413);
    assert.equal(messageOf(res.body), limitText(image.id, 11, 10));
  });

  it('a system-disk image allows 128 and a data-disk image 256', async () => {
    const system = await makeImage(t, { properties: { image_type: 'system-disk' } });
    await fill(t, system.id, 128);
    const refusedSystem = await t.request.post(`/v2/images/${system.id}/members`).set(OWNER).send({ member: 'x' });
    assert.equal(messageOf(refusedSystem.body), limitText(system.id, 129, 128));
    const data = await makeImage(t, { properties: { image_type: 'data-disk' } });
    await fill(t, data.id, 256);
    const refusedData = await t.request.post(`/v2/images/${data.id}/members`).set(OWNER).send({ member: 'x' });
    assert.equal(refusedData.status, 413);
    assert.equal(messageOf(refusedData.body), limitText(data.id, 257, 256));
  });

  it('an image with no (or an unknown) type gets the default', async () => {
    const untyped = await makeImage(t);
    await fill(t, untyped.id, 128);
    const res = await t.request.post(`/v2/images/${untyped.id}/members`).set(OWNER).send({ member: 'x' });
    assert.equal(messageOf(res.body), limitText(untyped.id, 129, 128));
  });
});

describe('member limits: Glance semantics', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({
      auth: { mode: 'trusted-headers' },
      memberLimits: {
        default: 2,
        rules: [
          { property: 'tier', values: ['unlimited'], limit: -1 },
          { property: 'tier', values: ['closed'], limit: 0 },
        ],
      },
    });
  });
  after(() => t.close());

  it('the limit is checked before duplicates: re-adding to a full image is 413, not 409', async () => {
    const image = await makeImage(t);
    await fill(t, image.id, 2);
    const res = await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'p-0' });
    assert.equal(res.status, 413);
    assert.equal(messageOf(res.body), limitText(image.id, 3, 2));
  });

  it('the limit applies to admins too', async () => {
    const image = await makeImage(t);
    await fill(t, image.id, 2, ADMIN);
    const res = await t.request.post(`/v2/images/${image.id}/members`).set(ADMIN).send({ member: 'x' });
    assert.equal(res.status, 413);
  });

  it('removed members free their place; the count covers every status', async () => {
    const image = await makeImage(t);
    await fill(t, image.id, 2);
    await t.request
      .put(`/v2/images/${image.id}/members/p-0`)
      .set({ ...OWNER, 'X-Project-Id': 'p-0' })
      .send({ status: 'rejected' })
      .expect(200);
    await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'x' }).expect(413);
    await t.request.delete(`/v2/images/${image.id}/members/p-1`).set(OWNER).expect(204);
    await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'x' }).expect(200);
  });

  it('a negative limit is unlimited and 0 forbids every add', async () => {
    const open = await makeImage(t, { properties: { tier: 'unlimited' } });
    await fill(t, open.id, 20);
    const closed = await makeImage(t, { properties: { tier: 'closed' } });
    const res = await t.request.post(`/v2/images/${closed.id}/members`).set(OWNER).send({ member: 'x' });
    assert.equal(res.status, 413);
    assert.equal(messageOf(res.body), limitText(closed.id, 1, 0));
  });
});
