/**
 * The quota view (`GET /v2/images/{id}/member-quota`, an extension on a path no Glance client
 * uses): the limit that applies with the configuration rule that chose it, used and remaining, for
 * the owner and admins; a member gets 403, anyone else the 404 that hides the image.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { ADMIN, MEMBER, OTHER, OWNER, makeImage, messageOf } from '../helpers/fixtures.ts';

describe('member quota view', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({
      auth: { mode: 'trusted-headers' },
      memberLimits: {
        default: 3,
        rules: [
          { property: 'image_type', values: ['full-server'], limit: 2 },
          { property: 'tier', values: ['free'], limit: -1 },
        ],
      },
    });
  });
  after(() => t.close());

  const quota = (imageId: string, headers: Record<string, string>) => t.request.get(`/v2/images/${imageId}/member-quota`).set(headers);
  const add = (imageId: string, member: string) => t.request.post(`/v2/images/${imageId}/members`).set(OWNER).send({ member });

  it('the default limit: used and remaining follow the members, whatever their status', async () => {
    const image = await makeImage(t);
    assert.deepEqual((await quota(image.id, OWNER)).body, { image_id: image.id, limit: 3, rule: null, used: 0, remaining: 3 });
    assert.equal((await add(image.id, 'p-member')).status, 200);
    assert.equal((await add(image.id, 'p-2')).status, 200);
    const res = await quota(image.id, OWNER);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(res.body, { image_id: image.id, limit: 3, rule: null, used: 2, remaining: 1 });
  });

  it('a rule from the configuration names itself; a full image has 0 remaining', async () => {
    const image = await makeImage(t, { properties: { image_type: 'full-server' } });
    await add(image.id, 'p-1');
    await add(image.id, 'p-2');
    assert.equal((await add(image.id, 'p-3')).status, 413);
    assert.deepEqual((await quota(image.id, OWNER)).body, {
      image_id: image.id,
      limit: 2,
      rule: { property: 'image_type', value: 'full-server' },
      used: 2,
      remaining: 0,
    });
  });

  it('an unlimited image: limit and remaining are null', async () => {
    const image = await makeImage(t, { properties: { tier: 'free' } });
    await add(image.id, 'p-1');
    assert.deepEqual((await quota(image.id, ADMIN)).body, {
      image_id: image.id,
      limit: null,
      rule: { property: 'tier', value: 'free' },
      used: 1,
      remaining: null,
    });
  });

  it('a member gets 403, a stranger the 404 that hides the image; other methods 405', async () => {
    const image = await makeImage(t);
    await add(image.id, 'p-member');
    const member = await quota(image.id, MEMBER);
    assert.equal(member.status, 403);
    assert.equal(messageOf(member.body), `Not allowed to read the member quota of image ${image.id}: only its owner may.`);
    const stranger = await quota(image.id, OTHER);
    assert.equal(stranger.status, 404);
    assert.equal(messageOf(stranger.body), `Image ${image.id} not found.`);
    const post = await t.request.post(`/v2/images/${image.id}/member-quota`).set(OWNER).send({});
    assert.equal(post.status, 405);
    assert.equal(post.headers['allow'], 'GET');
  });
});
