/**
 * The image rules of the two policy modes (spec 4.3): legacy answers with Glance Zed's hard-coded
 * owner checks, new-defaults with role-based rules that hide the image (generic 404) from callers
 * without `reader`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { ADMIN, OTHER, OWNER, as, makeImage, messageOf } from '../helpers/fixtures.ts';

const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';
const RENAME = JSON.stringify([{ op: 'replace', path: '/name', value: 'renamed' }]);
const GENERIC_404 = 'The resource could not be found.';

describe('image policies, new-defaults mode', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' } });
  });
  after(() => t.close());

  const patch = (id: string, who: Record<string, string>, body = RENAME) =>
    t.request.patch(`/v2/images/${id}`).set(who).set('Content-Type', PATCH_TYPE).send(body);
  const expectAnswer = (res: { status: number; body: unknown }, status: number, text: string): void => {
    assert.equal(res.status, status);
    assert.equal(messageOf(res.body), text);
  };

  it('reading needs the reader role (else the generic 404)', async () => {
    const image = await makeImage(t);
    expectAnswer(await t.request.get(`/v2/images/${image.id}`).set(as('p-owner', 'member')), 404, GENERIC_404);
    assert.equal((await t.request.get(`/v2/images/${image.id}`).set(as('p-owner', 'reader'))).status, 200);
    assert.equal((await t.request.get(`/v2/images/${image.id}`).set(as('p-admin', 'admin'))).status, 200);
  });

  it('changes need member role and ownership; the texts name the rule', async () => {
    const image = await makeImage(t);
    expectAnswer(await patch(image.id, as('p-owner', 'reader')), 403, 'You are not authorized to complete modify_image action.');
    // modify_image itself does not need reader: Glance checks get_image only to word a refusal.
    assert.equal((await patch(image.id, as('p-owner', 'member'))).status, 200);
    const pub = await makeImage(t, { visibility: 'public' });
    expectAnswer(await patch(pub.id, as('p-other', 'member')), 404, GENERIC_404);
    expectAnswer(await patch(pub.id, OTHER), 403, 'You are not authorized to complete modify_image action.');
    expectAnswer(await t.request.delete(`/v2/images/${pub.id}`).set(OTHER), 403, 'You are not authorized to complete delete_image action.');
    expectAnswer(
      await t.request.delete(`/v2/images/${image.id}`).set(as('p-owner', 'reader')),
      403,
      'You are not authorized to complete delete_image action.',
    );
    const own = await patch(image.id, OWNER);
    assert.equal(own.status, 200);
    assert.equal(own.body.name, 'renamed');
    assert.equal((await patch(pub.id, ADMIN)).status, 200);
  });

  it("communitize needs the member role on the owner's project; publicize needs admin", async () => {
    const image = await makeImage(t);
    const community = JSON.stringify([{ op: 'replace', path: '/visibility', value: 'community' }]);
    const publicize = JSON.stringify([{ op: 'replace', path: '/visibility', value: 'public' }]);
    expectAnswer(
      await patch(image.id, as('p-owner', 'reader'), community),
      403,
      'You are not authorized to complete communitize_image action.',
    );
    expectAnswer(await patch(image.id, OWNER, publicize), 403, 'You are not authorized to complete publicize_image action.');
    assert.equal((await patch(image.id, OWNER, community)).body.visibility, 'community');
    assert.equal((await patch(image.id, ADMIN, publicize)).body.visibility, 'public');
  });
});

describe('image policies, legacy mode', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, policy: { mode: 'legacy' } });
  });
  after(() => t.close());

  it('roles do not matter to the owner; other projects get "You do not own this image"', async () => {
    const image = await makeImage(t, { visibility: 'public' });
    const readerOnly = as('p-owner', 'reader');
    const renamed = await t.request.patch(`/v2/images/${image.id}`).set(readerOnly).set('Content-Type', PATCH_TYPE).send(RENAME);
    assert.equal(renamed.status, 200);
    assert.equal((await t.request.get(`/v2/images/${image.id}`).set(as('p-owner', 'member'))).status, 200);
    const res = await t.request.patch(`/v2/images/${image.id}`).set(OTHER).set('Content-Type', PATCH_TYPE).send(RENAME);
    assert.equal(res.status, 403);
    assert.equal(messageOf(res.body), 'You do not own this image');
    const created = await t.request.post('/v2/images').set(as('p-owner', 'reader')).send({ visibility: 'community' });
    assert.equal(created.status, 201);
    assert.equal((await t.request.get('/v2/images').set(as('p-owner', 'member'))).status, 200);
  });
});
