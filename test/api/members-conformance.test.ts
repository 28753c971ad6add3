/** Spec section 13, the conformance checklist, item by item (legacy policy mode, Glance 25.1 texts). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { ADMIN, MEMBER, OTHER, OWNER, as, makeImage, messageOf } from '../helpers/fixtures.ts';

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('conformance checklist (spec 13), legacy mode', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, policy: { mode: 'legacy' }, memberLimits: { default: 2 } });
  });
  after(() => t.close());

  it('1-2: owner adds B → 200 with exactly the six keys; again → 409', async () => {
    const image = await makeImage(t);
    const res = await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'p-member' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['location'], undefined);
    assert.deepEqual(Object.keys(res.body), ['member_id', 'image_id', 'status', 'created_at', 'updated_at', 'schema']);
    assert.equal(res.body.member_id, 'p-member');
    assert.equal(res.body.image_id, image.id);
    assert.equal(res.body.status, 'pending');
    assert.equal(res.body.schema, '/v2/schemas/member');
    assert.match(res.body.created_at, TIMESTAMP);
    assert.match(res.text, /^\{"member_id": "p-member", "image_id": /);

    const again = await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'p-member' });
    assert.equal(again.status, 409);
    assert.equal(messageOf(again.body), `Member p-member is duplicated for image ${image.id}`);
  });

  it('4-5, 7, 9: status changes, listing rows, deletes', async () => {
    const image = await makeImage(t);
    const members = `/v2/images/${image.id}/members`;
    await t.request.post(members).set(OWNER).send({ member: 'p-member' }).expect(200);
    await t.request.post(members).set(OWNER).send({ member: 'p-member2' }).expect(200);

    const accepted = await t.request.put(`${members}/p-member`).set(MEMBER).send({ status: 'accepted' });
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.status, 'accepted');
    const back = await t.request.put(`${members}/p-member`).set(MEMBER).send({ status: 'pending' });
    assert.equal(back.status, 200, 'accepted → pending is allowed');
    assert.equal(back.body.status, 'pending');

    const byOwner = await t.request.put(`${members}/p-member`).set(OWNER).send({ status: 'accepted' });
    assert.equal(byOwner.status, 403);
    assert.equal(messageOf(byOwner.body), `Not allowed to update members for image ${image.id}.`);

    const memberView = await t.request.get(members).set(MEMBER);
    assert.equal(memberView.status, 200);
    assert.deepEqual(
      memberView.body.members.map((m: { member_id: string }) => m.member_id),
      ['p-member'],
    );
    assert.equal(memberView.body.schema, '/v2/schemas/members');
    const ownerView = await t.request.get(members).set(OWNER);
    assert.deepEqual(
      ownerView.body.members.map((m: { member_id: string }) => m.member_id),
      ['p-member', 'p-member2'],
    );

    const selfDelete = await t.request.delete(`${members}/p-member`).set(MEMBER);
    assert.equal(selfDelete.status, 403);
    assert.equal(messageOf(selfDelete.body), `Not allowed to delete members for image ${image.id}.`);
    const removed = await t.request.delete(`${members}/p-member`).set(OWNER);
    assert.equal(removed.status, 204);
    assert.equal(removed.text, '');
    assert.equal(removed.headers['content-type'], undefined);
    const twice = await t.request.delete(`${members}/p-member`).set(OWNER);
    assert.equal(twice.status, 404);
    assert.equal(messageOf(twice.body), `p-member not found in the member list of the image ${image.id}.`);
  });

  it('6: an invalid status value → 400', async () => {
    const image = await makeImage(t);
    await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'p-member' }).expect(200);
    for (const status of ['bogus', 'ACCEPTED', null, 1, ['accepted']]) {
      const res = await t.request.put(`/v2/images/${image.id}/members/p-member`).set(MEMBER).send({ status });
      assert.equal(res.status, 400, JSON.stringify(status));
      assert.equal(messageOf(res.body), 'Incorrect request: Status must be "pending", "accepted" or "rejected".');
    }
    const ownerBogus = await t.request.put(`/v2/images/${image.id}/members/p-member`).set(OWNER).send({ status: 'bogus' });
    assert.equal(ownerBogus.status, 403, 'the owner check comes before the value check');
  });

  it('8: an unrelated project gets 404 Image not found on every member URL', async () => {
    const image = await makeImage(t);
    await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'p-member' }).expect(200);
    const base = `/v2/images/${image.id}/members`;
    const answers = [
      await t.request.get(base).set(OTHER),
      await t.request.post(base).set(OTHER).send({ member: 'p-other' }),
      await t.request.get(`${base}/p-member`).set(OTHER),
      await t.request.put(`${base}/p-member`).set(OTHER).send({ status: 'accepted' }),
      await t.request.delete(`${base}/p-member`).set(OTHER),
    ];
    for (const res of answers) {
      assert.equal(res.status, 404);
      assert.equal(messageOf(res.body), `Image ${image.id} not found.`);
    }
  });

  it('10: a private image has no members', async () => {
    const image = await makeImage(t, { visibility: 'private' });
    const base = `/v2/images/${image.id}/members`;
    const add = await t.request.post(base).set(OWNER).send({ member: 'p-member' });
    assert.equal(add.status, 403);
    assert.equal(messageOf(add.body), `Not allowed to create members for image ${image.id}.`);
    const list = await t.request.get(base).set(OWNER);
    assert.equal(list.status, 403);
    assert.equal(messageOf(list.body), `Not allowed to list members for image ${image.id}: Only shared images have members.`);
    const show = await t.request.get(`${base}/X`).set(OWNER);
    assert.equal(show.status, 404);
    assert.equal(messageOf(show.body), 'Only shared images have members.');
  });

  it('11: POST body errors', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    const none = await t.request.post(url).set(OWNER);
    assert.equal(messageOf(none.body), 'Body expected in request.');
    const cases: Array<[string, string]> = [
      ['{}', 'Member to be added not specified'],
      ['{"member":""}', "Member can't be empty"],
      ['[]', 'Expected a member in the form: {"member": "image_id"}'],
      ['{bad', 'Malformed JSON in request body.'],
      ['"x"', 'Unexpected body type. Expected list/dict.'],
      ['null', 'Unexpected body type. Expected list/dict.'],
    ];
    for (const [body, text] of cases) {
      const res = await t.request.post(url).set(OWNER).set('Content-Type', 'application/json').send(body);
      assert.equal(res.status, 400, body);
      assert.equal(messageOf(res.body), text, body);
    }
  });

  it('12: with a limit of 2, the third add → 413 with the limit in the text', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    await t.request.post(url).set(OWNER).send({ member: 'a' }).expect(200);
    await t.request.post(url).set(OWNER).send({ member: 'b' }).expect(200);
    const res = await t.request.post(url).set(OWNER).send({ member: 'c' });
    assert.equal(res.status, 413);
    assert.equal(
      messageOf(res.body),
      `Image member limit exceeded for image ${image.id}: The limit has been exceeded on the number of allowed image members for this image. Attempted: 3, Maximum: 2:`,
    );
  });

  it('13: error bodies follow Accept (plain, JSON, HTML)', async () => {
    const missing = '/v2/images/11111111-1111-1111-1111-111111111111/members';
    const { Accept: _accept, ...noAccept } = OWNER;
    const plain = await t.request.get(missing).set(noAccept);
    assert.equal(plain.headers['content-type'], 'text/plain; charset=UTF-8');
    assert.equal(plain.text, '404 Not Found\n\nImage 11111111-1111-1111-1111-111111111111 not found.\n\n   ');
    const json = await t.request.get(missing).set(OWNER);
    assert.equal(json.headers['content-type'], 'application/json');
    assert.equal(
      json.text,
      '{"message": "Image 11111111-1111-1111-1111-111111111111 not found.<br /><br />\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}',
    );
    const html = await t.request.get(missing).set(noAccept).set('Accept', '*/*');
    assert.equal(html.headers['content-type'], 'text/html; charset=UTF-8');
    assert.equal(
      html.text,
      '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  Image 11111111-1111-1111-1111-111111111111 not found.<br /><br />\n\n\n\n </body>\n</html>',
    );
  });

  it('14: other methods → 405 with Allow', async () => {
    const image = await makeImage(t);
    const collection = await t.request.patch(`/v2/images/${image.id}/members`).set(OWNER);
    assert.equal(collection.status, 405);
    assert.equal(collection.headers['allow'], 'GET, POST');
    assert.equal(
      collection.text,
      '{"message": "The method PATCH is not allowed for this resource. <br /><br />\\n", "code": "405 Method Not Allowed", "title": "Method Not Allowed"}',
    );
    const item = await t.request.patch(`/v2/images/${image.id}/members/p-member`).set(OWNER);
    assert.equal(item.status, 405);
    assert.equal(item.headers['allow'], 'GET, PUT, DELETE');
    for (const method of ['put', 'delete'] as const) {
      const res = await t.request[method](`/v2/images/${image.id}/members`).set(OWNER);
      assert.equal(res.status, 405);
      assert.equal(res.headers['allow'], 'GET, POST');
    }
    const head = await t.request
      .head(`/v2/images/${image.id}/members`)
      .set({ 'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'p-owner' });
    assert.equal(head.status, 405);
    assert.equal(head.headers['content-type'], 'text/html; charset=UTF-8');
  });

  it('15: the member schemas are served byte for byte', async () => {
    const member = await t.request.get('/v2/schemas/member').set(OWNER);
    assert.equal(member.status, 200);
    assert.equal(member.headers['content-type'], 'application/json');
    assert.equal(Buffer.byteLength(member.text), 678);
    assert.ok(
      member.text.startsWith(
        '{"name": "member", "properties": {"member_id": {"type": "string", "description": "An identifier for the image member (tenantId)"}',
      ),
    );
    const members = await t.request.get('/v2/schemas/members').set(OWNER);
    assert.equal(Buffer.byteLength(members.text), 839);
    assert.ok(members.text.endsWith('"schema": {"type": "string"}}, "links": [{"rel": "describedby", "href": "{schema}"}]}'));
    const unauthenticated = await t.request.get('/v2/schemas/member');
    assert.equal(unauthenticated.status, 401);
  });

  it('16: member responses carry X-Openstack-Request-Id', async () => {
    const image = await makeImage(t);
    const res = await t.request.get(`/v2/images/${image.id}/members`).set(OWNER);
    assert.match(String(res.headers['x-openstack-request-id']), /^req-/);
  });

  it('admin may add, read, set any status and delete on shared images', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    await t.request.post(url).set(ADMIN).send({ member: 'p-member' }).expect(200);
    const set = await t.request.put(`${url}/p-member`).set(ADMIN).send({ status: 'rejected' });
    assert.equal(set.body.status, 'rejected');
    const show = await t.request.get(`${url}/p-member`).set(ADMIN);
    assert.equal(show.body.status, 'rejected');
    await t.request.delete(`${url}/p-member`).set(ADMIN).expect(204);
  });

  it('in legacy mode the owner check ignores roles: a reader-only owner may add and delete', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    await t.request.post(url).set(as('p-owner', 'reader')).send({ member: 'p-member' }).expect(200);
    await t.request.delete(`${url}/p-member`).set(as('p-owner', 'reader')).expect(204);
  });
});
