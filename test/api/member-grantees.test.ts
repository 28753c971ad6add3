/**
 * Grantees that exist: with the built-in identity, a member must be the id of one of its projects
 * (here the demo identity's, `auth.demo`), checked only after the caller's right to add members;
 * `members.checkGranteeExists: false` turns the check off, and trusted-headers mode never checks
 * (the service cannot know the projects there).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { makeImage, messageOf } from '../helpers/fixtures.ts';

async function login(t: TestApp, user: string): Promise<string> {
  const res = await t.request.post('/identity/v3/auth/tokens').send({
    auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password: 'demo' } } } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return String(res.headers['x-subject-token']);
}

describe('grantees must be existing projects (built-in identity, demo directory)', () => {
  let t: TestApp;
  let alice: string;
  let bob: string;

  before(async () => {
    t = await buildApp({ auth: { mode: 'builtin', demo: true } });
    [alice, bob] = await Promise.all([login(t, 'alice'), login(t, 'bob')]);
  });
  after(() => t.close());

  const add = (token: string, imageId: string, member: string) =>
    t.request.post(`/v2/images/${imageId}/members`).set('X-Auth-Token', token).set('Accept', 'application/json').send({ member });

  it('an existing project id is added', async () => {
    const image = await makeImage(t, { owner: 'proj-a' });
    const res = await add(alice, image.id, 'proj-b');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.member_id, 'proj-b');
  });

  it('anything else is 400 in Glance format, naming the value and asking for a project id', async () => {
    const image = await makeImage(t, { owner: 'proj-a' });
    for (const member of ['proj-typo', 'Proj-B', 'bob']) {
      const res = await add(alice, image.id, member);
      assert.equal(res.status, 400, member);
      assert.equal(res.body.code, '400 Bad Request');
      assert.equal(
        messageOf(res.body),
        `Invalid member ${member}: no project has this id. A member must be the id of an existing project (not its name).`,
      );
    }
    const members = await t.request.get(`/v2/images/${image.id}/members`).set('X-Auth-Token', alice);
    assert.deepEqual(members.body.members, []);
  });

  it('the rights come first: a caller who may not add members learns nothing about projects', async () => {
    const image = await makeImage(t, { owner: 'proj-a' });
    assert.equal((await add(alice, image.id, 'proj-b')).status, 200);
    const res = await add(bob, image.id, 'proj-typo');
    assert.equal(res.status, 403);
    assert.equal(messageOf(res.body), 'You are not authorized to complete add_member action.');
  });
});

describe('grantee check and the member limit', () => {
  it("the limit comes first, as Glance's checks do: a full image answers 413 even for a project that does not exist", async () => {
    const t = await buildApp({ auth: { mode: 'builtin', demo: true }, memberLimits: { default: 1 } });
    try {
      const alice = await login(t, 'alice');
      const image = await makeImage(t, { owner: 'proj-a' });
      const add = (member: string) => t.request.post(`/v2/images/${image.id}/members`).set('X-Auth-Token', alice).send({ member });
      assert.equal((await add('proj-typo')).status, 400);
      assert.equal((await add('proj-b')).status, 200);
      assert.equal((await add('proj-typo')).status, 413);
    } finally {
      await t.close();
    }
  });
});

describe('grantee check switched off, and trusted headers', () => {
  it('members.checkGranteeExists false: any project id is taken, as in Glance', async () => {
    const t = await buildApp({ auth: { mode: 'builtin', demo: true }, members: { checkGranteeExists: false } });
    try {
      const image = await makeImage(t, { owner: 'proj-a' });
      const res = await t.request
        .post(`/v2/images/${image.id}/members`)
        .set('X-Auth-Token', await login(t, 'alice'))
        .send({ member: 'proj-typo' });
      assert.equal(res.status, 200);
      assert.equal(t.config.members.checkGranteeExists, false);
    } finally {
      await t.close();
    }
  });

  it('trusted-headers mode never checks, whatever the setting says', async () => {
    const t = await buildApp({ auth: { mode: 'trusted-headers' }, members: { checkGranteeExists: true } });
    try {
      assert.equal(t.config.members.checkGranteeExists, false);
      const image = await makeImage(t);
      const res = await t.request
        .post(`/v2/images/${image.id}/members`)
        .set({ 'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'p-owner', 'X-Roles': 'member,reader' })
        .send({ member: 'anything-at-all' });
      assert.equal(res.status, 200);
    } finally {
      await t.close();
    }
  });
});
