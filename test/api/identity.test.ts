import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/identity/services/password-hash.ts';
import { buildApp, type TestApp } from '../helpers/build-app.ts';

const PUBLIC_URL = 'http://glance.example:9292';
const UNAUTHORIZED = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };
const EXPECTING_TAIL =
  'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

/** A small directory: alice (member of proj-a), admin, multi (two projects), off (disabled), and a second domain. */
async function identityConfig(overrides: { offEnabled?: boolean } = {}): Promise<Record<string, unknown>> {
  const passwordHash = await hashPassword('secret');
  const user = (id: string, name: string, domain = 'default', enabled = true) => ({ id, name, domain, passwordHash, enabled });
  return {
    publicUrl: PUBLIC_URL,
    auth: {
      tokenTtlSeconds: 3600,
      region: 'RegionTest',
      domains: [
        { id: 'default', name: 'Default' },
        { id: 'd-other', name: 'Other' },
      ],
      projects: [
        { id: 'p-a', name: 'proj-a', domain: 'default', description: 'Project A' },
        { id: 'p-b', name: 'proj-b', domain: 'default' },
        { id: 'p-admin', name: 'admin', domain: 'default' },
        { id: 'p-a-other', name: 'proj-a', domain: 'd-other' },
      ],
      users: [
        user('u-alice', 'alice'),
        user('u-admin', 'admin'),
        user('u-multi', 'multi'),
        user('u-off', 'off', 'default', overrides.offEnabled ?? false),
        user('u-alice-other', 'alice', 'd-other'),
      ],
      roleAssignments: [
        { user: 'u-alice', project: 'p-a', roles: ['Member'] },
        { user: 'u-admin', project: 'p-admin', roles: ['admin'] },
        { user: 'u-multi', project: 'p-a', roles: ['reader'] },
        { user: 'u-multi', project: 'p-b', roles: ['member'] },
        { user: 'u-off', project: 'p-a', roles: ['member'] },
        { user: 'u-alice-other', project: 'p-a-other', roles: ['member'] },
      ],
    },
  };
}

type Ref = { id: string } | { name: string; domain: { id: string } | { name: string } };

function passwordBody(user: Ref, password = 'secret', project?: Ref): object {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { ...user, password } } },
      ...(project === undefined ? {} : { scope: { project } }),
    },
  };
}

const alice: Ref = { name: 'alice', domain: { name: 'Default' } };
const projA: Ref = { name: 'proj-a', domain: { name: 'Default' } };

interface TokenBody {
  token: {
    methods: string[];
    user: { domain: { id: string; name: string }; id: string; name: string; password_expires_at: null };
    audit_ids: string[];
    expires_at: string;
    issued_at: string;
    project: { domain: { id: string; name: string }; id: string; name: string };
    is_domain: boolean;
    roles: Array<{ id: string; name: string }>;
    catalog?: Array<{ endpoints: Array<Record<string, string>>; id: string; type: string; name: string }>;
  };
}

describe('built-in identity: tokens', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp(await identityConfig());
  });
  after(() => t.close());

  async function issue(body: object, expected = 201) {
    const res = await t.request.post('/identity/v3/auth/tokens').send(body);
    assert.equal(res.status, expected, res.text);
    return { res, token: String(res.headers['x-subject-token']), body: JSON.parse(res.text) as TokenBody };
  }

  async function assertUnauthorized(body: object) {
    const res = await t.request.post('/identity/v3/auth/tokens').send(body);
    assert.equal(res.status, 401, res.text);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(res.text), UNAUTHORIZED);
  }

  it('issues a token by user and project names with domain names: 201, X-Subject-Token and the Keystone body', async () => {
    const { res, token, body } = await issue(passwordBody(alice, 'secret', projA));
    assert.equal(res.headers['content-type'], 'application/json');
    assert.match(token, /^[A-Za-z0-9_-]{43,}$/);
    assert.deepEqual(Object.keys(body.token), [
      'methods',
      'user',
      'audit_ids',
      'expires_at',
      'issued_at',
      'project',
      'is_domain',
      'roles',
      'catalog',
    ]);
    assert.deepEqual(body.token.methods, ['password']);
    assert.deepEqual(body.token.user, {
      domain: { id: 'default', name: 'Default' },
      id: 'u-alice',
      name: 'alice',
      password_expires_at: null,
    });
    assert.deepEqual(body.token.project, { domain: { id: 'default', name: 'Default' }, id: 'p-a', name: 'proj-a' });
    assert.equal(body.token.issued_at, '2026-11-23T02:08:11.000000Z');
    assert.equal(body.token.expires_at, '2026-11-23T03:08:11.000000Z');
    assert.equal(body.token.audit_ids.length, 1);
    assert.match(body.token.audit_ids[0]!, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(body.token.is_domain, false);
    assert.deepEqual(
      body.token.roles.map((r) => r.name),
      ['member', 'reader'],
    );
    assert.ok(body.token.roles.every((r) => /^[0-9a-f]{32}$/.test(r.id)));
    assert.match(res.text, /^\{"token": \{"methods": \["password"\], "user": /);
  });

  it('lists image and identity services in the catalog, each with public, internal and admin endpoints', async () => {
    const { body } = await issue(passwordBody(alice, 'secret', projA));
    const catalog = body.token.catalog!;
    assert.deepEqual(
      catalog.map((s) => [s.type, s.name]),
      [
        ['identity', 'keystone'],
        ['image', 'glance'],
      ],
    );
    const urls = { identity: `${PUBLIC_URL}/identity`, image: PUBLIC_URL } as Record<string, string>;
    for (const service of catalog) {
      assert.match(service.id, /^[0-9a-f]{32}$/);
      assert.deepEqual(
        service.endpoints.map((e) => e['interface']),
        ['public', 'internal', 'admin'],
      );
      for (const endpoint of service.endpoints) {
        assert.deepEqual(Object.keys(endpoint), ['id', 'interface', 'region_id', 'url', 'region']);
        assert.equal(endpoint['url'], urls[service.type]);
        assert.equal(endpoint['region'], 'RegionTest');
        assert.equal(endpoint['region_id'], 'RegionTest');
      }
    }
  });

  it('issues by ids and by domain id; the same user name in another domain is another user', async () => {
    const byIds = await issue(passwordBody({ id: 'u-alice' }, 'secret', { id: 'p-a' }));
    assert.equal(byIds.body.token.user.id, 'u-alice');
    assert.equal(byIds.body.token.project.id, 'p-a');
    const other = await issue(
      passwordBody({ name: 'alice', domain: { id: 'd-other' } }, 'secret', { name: 'proj-a', domain: { name: 'Other' } }),
    );
    assert.deepEqual(other.body.token.user.domain, { id: 'd-other', name: 'Other' });
    assert.equal(other.body.token.project.id, 'p-a-other');
  });

  it('applies admin ⇒ member ⇒ reader and lower-cases roles', async () => {
    const admin = await issue(passwordBody({ name: 'admin', domain: { id: 'default' } }, 'secret', { id: 'p-admin' }));
    assert.deepEqual(
      admin.body.token.roles.map((r) => r.name),
      ['admin', 'member', 'reader'],
    );
    const reader = await issue(passwordBody({ id: 'u-multi' }, 'secret', { id: 'p-a' }));
    assert.deepEqual(
      reader.body.token.roles.map((r) => r.name),
      ['reader'],
    );
  });

  it('without a scope, uses the only project the user has roles on; several projects → 401', async () => {
    const { body } = await issue(passwordBody(alice));
    assert.equal(body.token.project.id, 'p-a');
    await assertUnauthorized(passwordBody({ id: 'u-multi' }));
  });

  it('re-authenticates with the token method: a new token, Keystone methods and audit chain, same expiry', async () => {
    const first = await issue(passwordBody({ id: 'u-multi' }, 'secret', { id: 'p-a' }));
    t.clock.advance(60);
    const second = await issue({
      auth: { identity: { methods: ['token'], token: { id: first.token } }, scope: { project: { id: 'p-b' } } },
    });
    assert.notEqual(second.token, first.token);
    assert.deepEqual(second.body.token.methods, ['token', 'password']);
    assert.equal(second.body.token.project.id, 'p-b');
    assert.deepEqual(
      second.body.token.roles.map((r) => r.name),
      ['member', 'reader'],
    );
    assert.equal(second.body.token.audit_ids.length, 2);
    assert.equal(second.body.token.audit_ids[1], first.body.token.audit_ids[0]);
    assert.equal(second.body.token.expires_at, first.body.token.expires_at);
    assert.equal(second.body.token.issued_at, '2026-11-23T02:09:11.000000Z');
    // Without a scope, the token method keeps the presented token's project.
    const third = await issue({ auth: { identity: { methods: ['token'], token: { id: second.token } } } });
    assert.equal(third.body.token.project.id, 'p-b');
    assert.equal(third.body.token.audit_ids[1], first.body.token.audit_ids[0]);
    const v2 = await t.request.get('/v2/schemas/member').set('X-Auth-Token', third.token);
    assert.equal(v2.status, 200);
  });

  it("answers 401 with Keystone's body for every authentication failure", async () => {
    await assertUnauthorized(passwordBody(alice, 'wrong', projA));
    await assertUnauthorized(passwordBody({ name: 'nobody', domain: { name: 'Default' } }, 'secret', projA));
    await assertUnauthorized(passwordBody({ id: 'u-nobody' }, 'secret', projA));
    await assertUnauthorized(passwordBody({ name: 'alice', domain: { name: 'Nowhere' } }, 'secret', projA));
    await assertUnauthorized(passwordBody(alice, 'secret', { name: 'proj-z', domain: { name: 'Default' } }));
    await assertUnauthorized(passwordBody(alice, 'secret', { id: 'p-b' }));
    await assertUnauthorized(passwordBody({ id: 'u-off' }, 'secret', { id: 'p-a' }));
    await assertUnauthorized({ auth: { identity: { methods: ['password'], password: { user: { id: 'u-alice' } } } } });
    await assertUnauthorized({ auth: { identity: { methods: ['totp'], totp: { user: { id: 'u-alice' } } } } });
    await assertUnauthorized({ auth: { identity: { methods: [] } } });
    await assertUnauthorized({ auth: { identity: { methods: ['token'], token: { id: 'not-a-token' } } } });
    await assertUnauthorized({
      auth: {
        identity: { methods: ['password'], password: { user: { id: 'u-alice', password: 'secret' } } },
        scope: { domain: { id: 'default' } },
      },
    });
    await assertUnauthorized({
      auth: { identity: { methods: ['password'], password: { user: { id: 'u-alice', password: 'secret' } } }, scope: 'unscoped' },
    });
  });

  it("answers 400 with Keystone's body for malformed or incomplete requests", async () => {
    const cases: Array<[string | object, string, string?]> = [
      ['{"auth": ', `Expecting to find valid JSON in request body. ${EXPECTING_TAIL}`],
      ['[1]', `Expecting to find valid JSON in request body. ${EXPECTING_TAIL}`],
      [{}, `Expecting to find auth in request body. ${EXPECTING_TAIL}`],
      [{ auth: {} }, "Invalid input for field 'auth': must have required property 'identity'"],
      [{ auth: { identity: { methods: 'password' } } }, "Invalid input for field 'identity/methods': must be array"],
      [
        { auth: { identity: { methods: ['password'], password: { user: { id: 'u-alice', password: 1 } } } } },
        "Invalid input for field 'identity/password/user/password': must be string",
      ],
      [{ auth: { identity: { methods: ['password'] } } }, `Expecting to find password in identity. ${EXPECTING_TAIL}`],
      [
        { auth: { identity: { methods: ['password'], password: { user: { name: 'alice', password: 'secret' } } } } },
        `Expecting to find domain in user. ${EXPECTING_TAIL}`,
      ],
      [
        { auth: { identity: { methods: ['password'], password: { user: { password: 'secret' } } } } },
        'Invalid input for field identity/password/user: id or name must be present.',
      ],
      [
        {
          auth: {
            identity: { methods: ['password'], password: { user: { id: 'u-alice', password: 'secret' } } },
            scope: { project: { name: 'proj-a' } },
          },
        },
        `Expecting to find domain in project. ${EXPECTING_TAIL}`,
      ],
      ['{"auth": {}}', `Expecting to find application/json in Content-Type header. ${EXPECTING_TAIL}`, 'text/plain'],
    ];
    for (const [body, message, type = 'application/json'] of cases) {
      const res = await t.request
        .post('/identity/v3/auth/tokens')
        .set('Content-Type', type)
        .send(typeof body === 'string' ? body : JSON.stringify(body));
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(JSON.parse(res.text), { error: { code: 400, title: 'Bad Request', message } }, JSON.stringify(body));
    }
  });

  it('validates tokens on /v2: 200 with a token, 401 without one or with garbage', async () => {
    const { token } = await issue(passwordBody(alice, 'secret', projA));
    const ok = await t.request.get('/v2/schemas/member').set('X-Auth-Token', token);
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.text).name, 'member');
    for (const headers of [{}, { 'X-Auth-Token': 'garbage' }, { 'X-Auth-Token': '' }, { 'X-Auth-Token': 'x'.repeat(2000) }]) {
      const res = await t.request.get('/v2/schemas/member').set({ ...headers, Accept: 'application/json' });
      assert.equal(res.status, 401);
      assert.equal(JSON.parse(res.text).code, '401 Unauthorized');
    }
  });

  it('GET auth/tokens validates a subject token (200, same body, X-Subject-Token); HEAD has no body', async () => {
    const issued = await issue(passwordBody(alice, 'secret', projA));
    const checker = await issue(passwordBody({ id: 'u-admin' }, 'secret', { id: 'p-admin' }));
    const res = await t.request.get('/identity/v3/auth/tokens').set('X-Auth-Token', checker.token).set('X-Subject-Token', issued.token);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-subject-token'], issued.token);
    assert.deepEqual(JSON.parse(res.text), issued.body);
    const head = await t.request.head('/identity/v3/auth/tokens').set('X-Auth-Token', issued.token).set('X-Subject-Token', issued.token);
    assert.equal(head.status, 200);
    assert.equal(head.text, undefined);
    const bare = await t.request
      .get('/identity/v3/auth/tokens?nocatalog')
      .set('X-Auth-Token', issued.token)
      .set('X-Subject-Token', issued.token);
    assert.equal(bare.status, 200);
    assert.equal(JSON.parse(bare.text).token.catalog, undefined);
  });

  it('GET auth/tokens: 401 without a valid X-Auth-Token, 403 without a subject, 404 for an unknown subject', async () => {
    const { token } = await issue(passwordBody(alice, 'secret', projA));
    const noAuth = await t.request.get('/identity/v3/auth/tokens').set('X-Subject-Token', token);
    assert.equal(noAuth.status, 401);
    assert.deepEqual(JSON.parse(noAuth.text), UNAUTHORIZED);
    const noSubject = await t.request.get('/identity/v3/auth/tokens').set('X-Auth-Token', token);
    assert.equal(noSubject.status, 403);
    assert.deepEqual(JSON.parse(noSubject.text), {
      error: { code: 403, title: 'Forbidden', message: 'You are not authorized to perform the requested action: identity:validate_token.' },
    });
    const unknown = await t.request.get('/identity/v3/auth/tokens').set('X-Auth-Token', token).set('X-Subject-Token', 'garbage');
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.text), { error: { code: 404, title: 'Not Found', message: 'Failed to validate token' } });
  });

  it('DELETE auth/tokens revokes (204), after which the token is refused everywhere', async () => {
    const victim = await issue(passwordBody(alice, 'secret', projA));
    const other = await issue(passwordBody(alice, 'secret', projA));
    assert.equal((await t.request.get('/v2/schemas/member').set('X-Auth-Token', victim.token)).status, 200);
    const del = await t.request.delete('/identity/v3/auth/tokens').set('X-Auth-Token', other.token).set('X-Subject-Token', victim.token);
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    assert.equal((await t.request.get('/v2/schemas/member').set('X-Auth-Token', victim.token)).status, 401);
    const again = await t.request.delete('/identity/v3/auth/tokens').set('X-Auth-Token', other.token).set('X-Subject-Token', victim.token);
    assert.equal(again.status, 404);
    assert.deepEqual(JSON.parse(again.text), { error: { code: 404, title: 'Not Found', message: 'Failed to validate token' } });
    const get = await t.request.get('/identity/v3/auth/tokens').set('X-Auth-Token', other.token).set('X-Subject-Token', victim.token);
    assert.equal(get.status, 404);
    const reauth = await t.request
      .post('/identity/v3/auth/tokens')
      .send({ auth: { identity: { methods: ['token'], token: { id: victim.token } } } });
    assert.equal(reauth.status, 401);
    const noAuth = await t.request.delete('/identity/v3/auth/tokens').set('X-Subject-Token', other.token);
    assert.equal(noAuth.status, 401);
    assert.deepEqual(JSON.parse(noAuth.text), UNAUTHORIZED);
    // A token can revoke itself.
    const self = await t.request.delete('/identity/v3/auth/tokens').set('X-Auth-Token', other.token).set('X-Subject-Token', other.token);
    assert.equal(self.status, 204);
  });

  it('stores only the SHA-256 of a token', async () => {
    const { token, body } = await issue(passwordBody(alice, 'secret', projA));
    const rows = (await t.db('tokens').select('*')) as Array<Record<string, unknown>>;
    assert.ok(rows.length > 0);
    assert.ok(!JSON.stringify(rows).includes(token));
    const row = rows.find((r) => r['token_hash'] === createHash('sha256').update(token).digest('hex'));
    assert.ok(row);
    assert.equal(row['user_id'], 'u-alice');
    assert.equal(row['project_id'], 'p-a');
    assert.equal(row['methods'], 'password');
    assert.equal(row['audit_id'], body.token.audit_ids[0]);
  });

  it('expires tokens after tokenTtlSeconds (401 on /v2, 404 on GET auth/tokens) and purges them an hour later', async () => {
    const old = await issue(passwordBody(alice, 'secret', projA));
    assert.equal((await t.request.get('/v2/schemas/member').set('X-Auth-Token', old.token)).status, 200);
    t.clock.advance(3600);
    assert.equal((await t.request.get('/v2/schemas/member').set('X-Auth-Token', old.token)).status, 401);
    const fresh = await issue(passwordBody(alice, 'secret', projA));
    const res = await t.request.get('/identity/v3/auth/tokens').set('X-Auth-Token', fresh.token).set('X-Subject-Token', old.token);
    assert.equal(res.status, 404);
    assert.deepEqual(JSON.parse(res.text), { error: { code: 404, title: 'Not Found', message: 'Failed to validate token' } });
    const oldHash = createHash('sha256').update(old.token).digest('hex');
    assert.equal((await t.db('tokens').where({ token_hash: oldHash })).length, 1);
    t.clock.advance(3601);
    await issue(passwordBody(alice, 'secret', projA));
    assert.equal((await t.db('tokens').where({ token_hash: oldHash })).length, 0);
  });
});

describe('built-in identity: tokens across restarts', () => {
  it('a token survives a new app on the same database, and stops working once its user is disabled', async () => {
    const first = await buildApp(await identityConfig({ offEnabled: true }));
    try {
      const res = await first.request.post('/identity/v3/auth/tokens').send(passwordBody({ id: 'u-off' }, 'secret', { id: 'p-a' }));
      assert.equal(res.status, 201);
      const token = String(res.headers['x-subject-token']);
      const database = first.sharedConfig()['database'];

      const restarted = await buildApp({ ...(await identityConfig({ offEnabled: true })), database });
      try {
        const ok = await restarted.request.get('/v2/schemas/member').set('X-Auth-Token', token);
        assert.equal(ok.status, 200);
        const validated = await restarted.request.get('/identity/v3/auth/tokens').set('X-Auth-Token', token).set('X-Subject-Token', token);
        assert.equal(validated.status, 200);
        assert.equal(JSON.parse(validated.text).token.user.id, 'u-off');
      } finally {
        await restarted.close();
      }

      const disabled = await buildApp({ ...(await identityConfig({ offEnabled: false })), database });
      try {
        const refused = await disabled.request.get('/v2/schemas/member').set('X-Auth-Token', token);
        assert.equal(refused.status, 401);
        const login = await disabled.request.post('/identity/v3/auth/tokens').send(passwordBody({ id: 'u-off' }, 'secret', { id: 'p-a' }));
        assert.equal(login.status, 401);
        assert.deepEqual(JSON.parse(login.text), UNAUTHORIZED);
      } finally {
        await disabled.close();
      }
    } finally {
      await first.close();
    }
  });
});
