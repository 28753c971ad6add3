/** The finer points of members (spec sections 2, 3, 5, 12, 14): timestamps, re-adds, odd input, path quirks. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { MEMBER, OWNER, makeImage, messageOf } from '../helpers/fixtures.ts';

const nowOnTheWire = (t: TestApp): string => `${t.clock.now().toISOString().slice(0, 19)}Z`;

describe('member details', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' } });
  });
  after(() => t.close());

  it('re-adding a removed member keeps created_at, resets status, and keeps its list position', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    const first = await t.request.post(url).set(OWNER).send({ member: 'p-member' });
    await t.request.post(url).set(OWNER).send({ member: 'p-member2' }).expect(200);
    t.clock.advance(5);
    await t.request.put(`${url}/p-member`).set(MEMBER).send({ status: 'accepted' }).expect(200);
    await t.request.delete(`${url}/p-member`).set(OWNER).expect(204);
    t.clock.advance(4);
    const again = await t.request.post(url).set(OWNER).send({ member: 'p-member' });
    assert.equal(again.status, 200);
    assert.equal(again.body.status, 'pending');
    assert.equal(again.body.created_at, first.body.created_at);
    assert.equal(again.body.updated_at, nowOnTheWire(t));
    const list = await t.request.get(url).set(OWNER);
    assert.deepEqual(
      list.body.members.map((m: { member_id: string }) => m.member_id),
      ['p-member', 'p-member2'],
    );
  });

  it('updated_at moves only when the status really changes', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members/p-member`;
    const created = await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'p-member' });
    t.clock.advance(3);
    const same = await t.request.put(url).set(MEMBER).send({ status: 'pending' });
    assert.equal(same.status, 200);
    assert.equal(same.body.updated_at, created.body.updated_at);
    t.clock.advance(3);
    const changed = await t.request.put(url).set(MEMBER).send({ status: 'rejected' });
    assert.equal(changed.body.updated_at, nowOnTheWire(t));
    assert.notEqual(changed.body.updated_at, created.body.updated_at);
    assert.equal(changed.body.created_at, created.body.created_at);
  });

  it('extra body keys are ignored: the owner cannot pre-accept; the SDK\'s extra "member" key on PUT is fine', async () => {
    const image = await makeImage(t);
    const add = await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'p-member', status: 'accepted' });
    assert.equal(add.body.status, 'pending');
    const put = await t.request.put(`/v2/images/${image.id}/members/p-member`).set(MEMBER).send({ member: 'p-member', status: 'accepted' });
    assert.equal(put.status, 200);
    assert.equal(put.body.status, 'accepted');
  });

  it('member ids: any string of 1–255 characters, stored as is, non-ASCII emitted raw', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    for (const member of [' ', 'projé', 'P-MEMBER', 'p-member', 'x'.repeat(255)]) {
      const res = await t.request.post(url).set(OWNER).send({ member });
      assert.equal(res.status, 200, member);
      assert.equal(res.body.member_id, member);
    }
    const list = await t.request.get(url).set(OWNER);
    assert.ok(list.text.includes('"member_id": "projé"'), 'raw UTF-8, not \\u escapes');
    const show = await t.request.get(`${url}/proj%C3%A9`).set(OWNER);
    assert.equal(show.status, 200, 'paths decode as UTF-8');
    assert.equal(show.body.member_id, 'projé');
  });

  it("non-string or over-long member ids are a 400 in Glance's format, never a 500", async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    for (const member of [5, 1.5, -3, true, ['x'], { a: 1 }, 'x'.repeat(256)]) {
      const res = await t.request.post(url).set(OWNER).send({ member });
      assert.equal(res.status, 400, JSON.stringify(member));
      assert.equal(messageOf(res.body), 'Invalid member: a member must be a project id given as a string of 1 to 255 characters.');
    }
    for (const member of [0, false, null, [], {}]) {
      const res = await t.request.post(url).set(OWNER).send({ member });
      assert.equal(messageOf(res.body), "Member can't be empty", JSON.stringify(member));
    }
  });

  it('a member id with "/" can be created but never addressed; trailing slashes and suffixes are 404', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    await t.request.post(url).set(OWNER).send({ member: 'a/b' }).expect(200);
    const show = await t.request.get(`${url}/a%2Fb`).set(OWNER);
    assert.equal(show.status, 404);
    assert.equal(messageOf(show.body), 'The resource could not be found.');
    for (const path of [`${url}/`, `${url}.json`, `${url}/p-member/`, `${url}/p-member/extra`]) {
      const res = await t.request.get(path).set(OWNER);
      assert.equal(res.status, 404, path);
      assert.equal(messageOf(res.body), 'The resource could not be found.');
    }
  });

  it('bodies: GET/DELETE refuse one, the Content-Type is never checked, body errors come before 404', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    const getWithBody = await t.request.get(url).set(OWNER).set('Content-Type', 'application/json').send('{"a":1}');
    assert.equal(getWithBody.status, 400);
    assert.equal(messageOf(getWithBody.body), 'A body is not expected with this request.');
    const deleteWithBody = await t.request.delete(`${url}/x`).set(OWNER).set('Content-Type', 'application/json').send('{}');
    assert.equal(messageOf(deleteWithBody.body), 'A body is not expected with this request.');
    const octet = await t.request.get(url).set(OWNER).set('Content-Type', 'application/octet-stream');
    assert.equal(octet.status, 200, 'glanceclient sends octet-stream on body-less GETs');
    const textPlain = await t.request.post(url).set(OWNER).set('Content-Type', 'text/plain').send('{"member":"p-text"}');
    assert.equal(textPlain.status, 200);
    const missing = await t.request
      .post('/v2/images/00000000-0000-0000-0000-000000000000/members')
      .set(OWNER)
      .set('Content-Type', 'application/json')
      .send('{bad');
    assert.equal(messageOf(missing.body), 'Malformed JSON in request body.');
    const putArray = await t.request.put(`${url}/x`).set(OWNER).send([]);
    assert.equal(messageOf(putArray.body), 'Expected a status in the form: {"status": "status"}');
    const putEmpty = await t.request.put(`${url}/x`).set(OWNER).send({});
    assert.equal(messageOf(putEmpty.body), 'Status not specified');
    const putNone = await t.request.put(`${url}/x`).set(OWNER);
    assert.equal(messageOf(putNone.body), 'Body expected in request.');
  });

  it('error pages escape like webob: HTML entities, tags stripped in plain text, \\u escapes in JSON', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members/%3Cb%3Ex'%22%26`;
    const html = await t.request.get(url).set({ ...OWNER, Accept: '*/*' });
    assert.ok(html.text.includes(`  &lt;b&gt;x&#x27;&quot;&amp; not found in the member list of the image ${image.id}.<br /><br />`));
    const { Accept: _accept, ...noAccept } = OWNER;
    const plain = await t.request.get(url).set(noAccept);
    assert.equal(plain.text, `404 Not Found\n\nx'"& not found in the member list of the image ${image.id}.\n\n   `);
    const json = await t.request.get(`/v2/images/${image.id}/members/caf%C3%A9`).set(OWNER);
    assert.ok(json.text.startsWith('{"message": "caf\\u00e9 not found'), json.text);
  });

  it("a huge body is refused with 413 in Glance's error format, and the service keeps answering", async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    const huge = JSON.stringify({ member: 'x'.repeat(2 * 1024 * 1024) });
    const res = await t.request.post(url).set(OWNER).set('Content-Type', 'application/json').send(huge);
    assert.equal(res.status, 413);
    assert.equal(res.body.title, 'Request Entity Too Large');
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const nested = await t.request.put(`${url}/p`).set(OWNER).set('Content-Type', 'application/json').send(deep);
    assert.equal(nested.status, 400);
    await t.request.get(url).set(OWNER).expect(200);
  });

  it('NUL characters in URLs or bodies are a 400 on every engine (PostgreSQL cannot store them)', async () => {
    const image = await makeImage(t);
    const url = `/v2/images/${image.id}/members`;
    const inBody = await t.request.post(url).set(OWNER).set('Content-Type', 'application/json').send('{"member": "a\\u0000b"}');
    assert.equal(inBody.status, 400);
    assert.equal(messageOf(inBody.body), 'NUL characters are not allowed in request bodies.');
    const inPath = await t.request.get(`${url}/a%00b`).set(OWNER);
    assert.equal(inPath.status, 400);
    assert.equal(messageOf(inPath.body), 'NUL characters are not allowed in request URLs.');
    const escapedBackslash = await t.request.post(url).set(OWNER).set('Content-Type', 'application/json').send('{"member": "a\\\\u0000b"}');
    assert.equal(escapedBackslash.status, 200, 'a literal backslash-u is not a NUL');
  });

  it('stray query parameters are ignored (openstacksdk find_member sends ?image_id=)', async () => {
    const image = await makeImage(t);
    await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'p-member' }).expect(200);
    const res = await t.request.get(`/v2/images/${image.id}/members/p-member?image_id=${image.id}`).set(OWNER);
    assert.equal(res.status, 200);
  });

  it('image ids are not format-checked: any unknown id is a 404 with the id echoed', async () => {
    for (const id of ['not-a-uuid', 'x'.repeat(40), 'caf%C3%A9']) {
      const res = await t.request.get(`/v2/images/${id}/members`).set(OWNER);
      assert.equal(res.status, 404);
      assert.equal(messageOf(res.body), `Image ${decodeURIComponent(id)} not found.`);
    }
  });

  it("a missing or unconfirmed identity is webob's 401", async () => {
    const image = await makeImage(t);
    const none = await t.request.get(`/v2/images/${image.id}/members`).set('Accept', 'application/json');
    assert.equal(none.status, 401);
    assert.match(messageOf(none.body), /^This server could not verify that you are authorized/);
    const invalid = await t.request.get(`/v2/images/${image.id}/members`).set({ ...OWNER, 'X-Identity-Status': 'Invalid' });
    assert.equal(invalid.status, 401);
  });
});
