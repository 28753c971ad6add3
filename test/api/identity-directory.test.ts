import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTokenCache } from '../../src/identity/services/token-cache.ts';
import { expandRoles } from '../../src/identity/services/directory.ts';
import { hashPassword } from '../../src/identity/services/password-hash.ts';
import { buildApp, type TestApp } from '../helpers/build-app.ts';

const PUBLIC_URL = 'http://glance.example:9292';
const VERSION = {
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${PUBLIC_URL}/identity/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
};
const UNAUTHORIZED = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };
const forbidden = (action: string) => ({
  error: { code: 403, title: 'Forbidden', message: `You are not authorized to perform the requested action: ${action}.` },
});

function projectDoc(id: string, name: string, description = '') {
  return {
    id,
    name,
    domain_id: 'default',
    description,
    enabled: true,
    parent_id: 'default',
    is_domain: false,
    tags: [],
    options: {},
    links: { self: `${PUBLIC_URL}/identity/v3/projects/${id}` },
  };
}

describe('built-in identity: discovery, projects, users and Keystone errors', () => {
  let t: TestApp;
  let aliceToken: string;
  let adminToken: string;

  before(async () => {
    const passwordHash = await hashPassword('secret');
    t = await buildApp({
      publicUrl: PUBLIC_URL,
      auth: {
        domains: [{ id: 'default', name: 'Default' }],
        projects: [
          { id: 'p-a', name: 'proj-a', domain: 'default', description: 'Project A' },
          { id: 'p-b', name: 'proj-b', domain: 'default' },
          { id: 'p-admin', name: 'admin', domain: 'default' },
        ],
        users: [
          { id: 'u-alice', name: 'alice', domain: 'default', passwordHash },
          { id: 'u-admin', name: 'admin', domain: 'default', passwordHash },
        ],
        roleAssignments: [
          { user: 'u-alice', project: 'p-a', roles: ['member'] },
          { user: 'u-admin', project: 'p-admin', roles: ['admin'] },
        ],
      },
    });
    const login = async (user: string, project: string) => {
      const res = await t.request.post('/identity/v3/auth/tokens').send({
        auth: {
          identity: { methods: ['password'], password: { user: { id: user, password: 'secret' } } },
          scope: { project: { id: project } },
        },
      });
      assert.equal(res.status, 201);
      return String(res.headers['x-subject-token']);
    };
    aliceToken = await login('u-alice', 'p-a');
    adminToken = await login('u-admin', 'p-admin');
  });
  after(() => t.close());

  const get = (path: string, token?: string) => {
    const req = t.request.get(path);
    return token === undefined ? req : req.set('X-Auth-Token', token);
  };

  it('GET /identity answers 300 with the version list, without a token', async () => {
    const res = await get('/identity');
    assert.equal(res.status, 300);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['location'], `${PUBLIC_URL}/identity/v3/`);
    assert.deepEqual(JSON.parse(res.text), { versions: { values: [VERSION] } });
    assert.equal((await get('/identity/')).status, 300);
  });

  it('GET /identity/v3 and /identity/v3/ answer 200 with the version document', async () => {
    for (const path of ['/identity/v3', '/identity/v3/']) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.deepEqual(JSON.parse(res.text), { version: VERSION });
      assert.match(res.text, /^\{"version": \{"id": "v3.14", "status": "stable", /);
    }
  });

  it('unknown paths are 404 and other methods 405, both in Keystone style', async () => {
    const missing = await get('/identity/v3/nothing', aliceToken);
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.text), { error: { code: 404, title: 'Not Found', message: 'The resource could not be found.' } });
    const put = await t.request.put('/identity/v3/auth/tokens').set('X-Auth-Token', aliceToken);
    assert.equal(put.status, 405);
    assert.equal(put.headers['allow'], 'POST, GET, HEAD, DELETE');
    assert.deepEqual(JSON.parse(put.text), {
      error: { code: 405, title: 'Method Not Allowed', message: 'The method is not allowed for the requested URL.' },
    });
    const post = await t.request.post('/identity/v3/projects').send({});
    assert.equal(post.status, 405);
  });

  it('a project member reads its own project by id and by name', async () => {
    const byId = await get('/identity/v3/projects/p-a', aliceToken);
    assert.equal(byId.status, 200);
    assert.deepEqual(JSON.parse(byId.text), { project: projectDoc('p-a', 'proj-a', 'Project A') });
    const byName = await get('/identity/v3/projects?name=proj-a', aliceToken);
    assert.equal(byName.status, 200);
    assert.deepEqual(JSON.parse(byName.text), {
      projects: [projectDoc('p-a', 'proj-a', 'Project A')],
      links: { next: null, self: `${PUBLIC_URL}/identity/v3/projects?name=proj-a`, previous: null },
    });
    const mine = await get('/identity/v3/auth/projects', aliceToken);
    assert.equal(mine.status, 200);
    assert.deepEqual(JSON.parse(mine.text).projects, [projectDoc('p-a', 'proj-a', 'Project A')]);
  });

  it('a project member gets 403 for any other project, name or the full list (OSC then uses the name as typed)', async () => {
    for (const path of ['/identity/v3/projects/p-b', '/identity/v3/projects/no-such']) {
      const res = await get(path, aliceToken);
      assert.equal(res.status, 403, path);
      assert.deepEqual(JSON.parse(res.text), forbidden('identity:get_project'));
    }
    for (const path of [
      '/identity/v3/projects?name=proj-b',
      '/identity/v3/projects',
      '/identity/v3/projects?name=proj-a&domain_id=other',
    ]) {
      const res = await get(path, aliceToken);
      assert.equal(res.status, 403, path);
      assert.deepEqual(JSON.parse(res.text), forbidden('identity:list_projects'));
    }
  });

  it('an admin reads any project, lists by name, and gets 404 for an unknown id', async () => {
    const other = await get('/identity/v3/projects/p-b', adminToken);
    assert.equal(other.status, 200);
    assert.deepEqual(JSON.parse(other.text), { project: projectDoc('p-b', 'proj-b') });
    const unknown = await get('/identity/v3/projects/no-such', adminToken);
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.text), { error: { code: 404, title: 'Not Found', message: 'Could not find project: no-such.' } });
    const list = await get('/identity/v3/projects?name=proj-b', adminToken);
    assert.equal(list.status, 200);
    assert.deepEqual(JSON.parse(list.text).projects, [projectDoc('p-b', 'proj-b')]);
    const none = await get('/identity/v3/projects?name=zzz', adminToken);
    assert.equal(none.status, 200);
    assert.deepEqual(JSON.parse(none.text).projects, []);
    const all = await get('/identity/v3/projects', adminToken);
    assert.deepEqual(
      JSON.parse(all.text).projects.map((p: { id: string }) => p.id),
      ['p-a', 'p-b', 'p-admin'],
    );
  });

  it('a user reads itself (200) but not others (403)', async () => {
    const self = await get('/identity/v3/users/u-alice', aliceToken);
    assert.equal(self.status, 200);
    assert.deepEqual(JSON.parse(self.text), {
      user: {
        id: 'u-alice',
        name: 'alice',
        domain_id: 'default',
        enabled: true,
        password_expires_at: null,
        options: {},
        links: { self: `${PUBLIC_URL}/identity/v3/users/u-alice` },
      },
    });
    const other = await get('/identity/v3/users/u-admin', aliceToken);
    assert.equal(other.status, 403);
    assert.deepEqual(JSON.parse(other.text), forbidden('identity:get_user'));
  });

  it('directory reads without a token or with an invalid one are 401 in Keystone style', async () => {
    for (const token of [undefined, 'garbage']) {
      for (const path of [
        '/identity/v3/projects/p-a',
        '/identity/v3/projects?name=proj-a',
        '/identity/v3/users/u-alice',
        '/identity/v3/auth/projects',
      ]) {
        const res = await get(path, token);
        assert.equal(res.status, 401, path);
        assert.deepEqual(JSON.parse(res.text), UNAUTHORIZED);
      }
    }
  });
});

describe('built-in identity: /identity is absent in trusted-headers mode', () => {
  it('answers 404 instead of serving Keystone', async () => {
    const t = await buildApp({ auth: { mode: 'trusted-headers' } });
    try {
      const res = await t.request.post('/identity/v3/auth/tokens').set('Accept', 'application/json').send({});
      assert.equal(res.status, 404);
      assert.equal(JSON.parse(res.text).code, '404 Not Found');
    } finally {
      await t.close();
    }
  });
});

describe('identity building blocks', () => {
  it('expandRoles applies admin ⇒ member ⇒ reader once each, assigned roles first', () => {
    assert.deepEqual(expandRoles(['Admin']), ['admin', 'member', 'reader']);
    assert.deepEqual(expandRoles(['reader', 'member']), ['reader', 'member']);
    assert.deepEqual(expandRoles(['creator', 'member']), ['creator', 'member', 'reader']);
    assert.deepEqual(expandRoles([]), []);
  });

  it('the token cache is bounded, refreshes on hit, and never outlives maxAge or the token', () => {
    const cache = createTokenCache<string>({ maxEntries: 2, maxAgeMs: 30_000 });
    cache.set('a', 'A', 0, 1_000_000);
    cache.set('b', 'B', 0, 1_000_000);
    assert.equal(cache.get('a', 1), 'A');
    cache.set('c', 'C', 1, 1_000_000);
    assert.equal(cache.get('b', 2), undefined, 'least recently used entry evicted');
    assert.equal(cache.get('a', 2), 'A');
    assert.equal(cache.get('a', 30_000), undefined, 'max age');
    cache.set('d', 'D', 0, 10);
    assert.equal(cache.get('d', 9), 'D');
    assert.equal(cache.get('d', 10), undefined, 'token expiry');
    cache.set('e', 'E', 0, 1_000_000);
    cache.delete('e');
    assert.equal(cache.get('e', 1), undefined);
  });
});
