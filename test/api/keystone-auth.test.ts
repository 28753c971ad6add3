/**
 * auth.mode "keystone" against a small Keystone stand-in served from this process on a loopback
 * port: it plays `POST /v3/auth/tokens` (service token) and `GET /v3/auth/tokens` (validation)
 * and counts the calls, so caching, re-authentication and outages can be checked without the
 * real Keystone (test/e2e/keystone.test.ts covers that one).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { ConfigError, loadConfig, type KeystoneConfig } from '../../src/base/config.ts';
import { createKeystoneAuthenticator } from '../../src/identity/services/keystone-authenticator.ts';
import { buildApp, TestClock, validator, type TestApp } from '../helpers/build-app.ts';
import { freePort } from '../helpers/free-port.ts';
import { makeImage, messageOf } from '../helpers/fixtures.ts';

const SERVICE = { username: 'image-svc', password: 'image-svc-secret', projectName: 'service' };

interface UserToken {
  projectId?: string;
  userId: string;
  roles: string[];
  expiresInSeconds?: number;
}

/** Keystone's two token endpoints; times come from the test clock so expiry follows `clock.advance`. */
class FakeKeystone {
  clock = new TestClock();
  serviceIssues = 0;
  validations = 0;
  /** 'down': every request answers 503; 'refuse-service': every service token is refused (401). */
  mode: 'ok' | 'down' | 'refuse-service' = 'ok';
  /** Delay before each validation answer, to make concurrent requests overlap. */
  delayMs = 0;
  serviceTtlSeconds = 3600;
  /** How many of the next requests get their connection closed without an answer. */
  dropNext = 0;
  readonly requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
  private readonly users = new Map<string, { body: object; expiresAtMs: number }>();
  private readonly serviceTokens = new Set<string>();
  /** Project ids `GET /v3/projects/{id}` knows (the grantee check). */
  readonly projects = new Set<string>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v3`;
    return this;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Registers a user token, as if Keystone had issued it. */
  issue(token: string, user: UserToken): string {
    const expiresAtMs = this.clock.now().getTime() + (user.expiresInSeconds ?? 3600) * 1000;
    const body = {
      methods: ['password'],
      user: { domain: { id: 'default', name: 'Default' }, id: user.userId, name: user.userId },
      audit_ids: ['x'],
      expires_at: keystoneTime(expiresAtMs),
      issued_at: keystoneTime(this.clock.now().getTime()),
      ...(user.projectId === undefined
        ? { system: { all: true } }
        : { project: { domain: { id: 'default', name: 'Default' }, id: user.projectId, name: user.projectId } }),
      roles: user.roles.map((name, i) => ({ id: `r${i}`, name })),
    };
    this.users.set(token, { body, expiresAtMs });
    return token;
  }

  revoke(token: string): void {
    this.users.delete(token);
  }
  revokeServiceTokens(): void {
    this.serviceTokens.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.dropNext > 0) {
      this.dropNext -= 1;
      req.socket.destroy();
      return;
    }
    let body = '';
    for await (const chunk of req) body += String(chunk);
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const send = (status: number, doc: object, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(doc));
    };
    if (this.mode === 'down') return send(503, { error: { code: 503 } });
    const project = /^\/v3\/projects\/([^/?]+)$/.exec(req.url ?? '');
    if (project !== null && req.method === 'GET') {
      if (!this.serviceTokens.has(String(req.headers['x-auth-token']))) return send(401, { error: { code: 401 } });
      const id = decodeURIComponent(project[1]!);
      return this.projects.has(id) ? send(200, { project: { id, name: id } }) : send(404, { error: { code: 404 } });
    }
    if (req.url !== '/v3/auth/tokens?nocatalog') return send(404, { error: { code: 404 } });
    const nowMs = this.clock.now().getTime();
    if (req.method === 'POST') {
      const user = (JSON.parse(body) as { auth: { identity: { password: { user: Record<string, unknown> } } } }).auth.identity.password
        .user;
      if (user['name'] !== SERVICE.username || user['password'] !== SERVICE.password) return send(401, { error: { code: 401 } });
      const token = `svc-${++this.serviceIssues}`;
      this.serviceTokens.add(token);
      return send(201, { token: { expires_at: keystoneTime(nowMs + this.serviceTtlSeconds * 1000) } }, { 'X-Subject-Token': token });
    }
    // unref: a delay still running when a test ends must not keep the test process alive.
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs).unref());
    if (this.mode === 'refuse-service' || !this.serviceTokens.has(String(req.headers['x-auth-token'])))
      return send(401, { error: { code: 401 } });
    this.validations += 1;
    const found = this.users.get(String(req.headers['x-subject-token']));
    if (found === undefined || found.expiresAtMs <= nowMs)
      return send(404, { error: { code: 404, message: 'Could not recognize Fernet token' } });
    return send(200, { token: found.body });
  }
}

/** Keystone's `2026-11-23T03:44:50.000000Z`. */
const keystoneTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

const keystoneAuth = (url: string, extra: Partial<KeystoneConfig> = {}) => ({
  auth: { mode: 'keystone', keystone: { url, ...SERVICE, ...extra } },
});

/** An app in keystone mode that shares the fake's clock. */
async function appFor(fake: FakeKeystone, extra: Partial<KeystoneConfig> = {}): Promise<TestApp> {
  const t = await buildApp(keystoneAuth(fake.url, extra));
  fake.clock = t.clock;
  return t;
}

const as = (token: string) => ({ 'X-Auth-Token': token, Accept: 'application/json' });

describe('keystone mode: validation and caching', () => {
  let fake: FakeKeystone;
  let t: TestApp;
  before(async () => {
    fake = await new FakeKeystone().start();
    t = await appFor(fake, { cacheSeconds: 300 });
  });
  after(async () => {
    await t.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.mode = 'ok';
    fake.delayMs = 0;
    fake.dropNext = 0;
  });

  it('a valid token is the caller: its project owns what it creates; the service token is reused', async () => {
    fake.issue('tok-alice', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    fake.issue('tok-bob', { projectId: 'p-b', userId: 'u-bob', roles: ['member', 'reader'] });
    const created = await t.request.post('/v2/images').set(as('tok-alice')).send({ name: 'x' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.owner, 'p-a');
    assert.equal((await t.request.get('/v2/images').set(as('tok-bob'))).status, 200);
    assert.equal(fake.serviceIssues, 1);
    const validation = fake.requests.find((r) => r.method === 'GET')!;
    assert.equal(validation.headers['x-auth-token'], 'svc-1');
    assert.equal(validation.headers['x-subject-token'], 'tok-alice');
    const auth = JSON.parse(fake.requests.find((r) => r.method === 'POST')!.body) as unknown;
    assert.deepEqual(auth, {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'image-svc', domain: { name: 'Default' }, password: 'image-svc-secret' } },
        },
        scope: { project: { name: 'service', domain: { name: 'Default' } } },
      },
    });
  });

  it('validates a token once within cacheSeconds, and again after', async () => {
    fake.issue('tok-cache', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    const before = fake.validations;
    for (let i = 0; i < 3; i++) assert.equal((await t.request.get('/v2/images').set(as('tok-cache'))).status, 200);
    assert.equal(fake.validations, before + 1);
    t.clock.advance(299);
    assert.equal((await t.request.get('/v2/images').set(as('tok-cache'))).status, 200);
    assert.equal(fake.validations, before + 1);
    t.clock.advance(2);
    assert.equal((await t.request.get('/v2/images').set(as('tok-cache'))).status, 200);
    assert.equal(fake.validations, before + 2);
  });

  it('a revoked token works until its cache entry expires, then gets 401', async () => {
    fake.issue('tok-revoked', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    assert.equal((await t.request.get('/v2/images').set(as('tok-revoked'))).status, 200);
    fake.revoke('tok-revoked');
    assert.equal((await t.request.get('/v2/images').set(as('tok-revoked'))).status, 200);
    t.clock.advance(301);
    assert.equal((await t.request.get('/v2/images').set(as('tok-revoked'))).status, 401);
  });

  it('never caches a token past its expires_at', async () => {
    fake.issue('tok-short', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'], expiresInSeconds: 30 });
    assert.equal((await t.request.get('/v2/images').set(as('tok-short'))).status, 200);
    const before = fake.validations;
    t.clock.advance(31);
    assert.equal((await t.request.get('/v2/images').set(as('tok-short'))).status, 401);
    assert.equal(fake.validations, before + 1);
  });

  it("caches invalid tokens too; a 401 carries Keystone's WWW-Authenticate and webob's body", async () => {
    const before = fake.validations;
    for (let i = 0; i < 3; i++) {
      const res = await t.request.get('/v2/images').set(as('garbage'));
      assert.equal(res.status, 401);
      assert.equal(res.headers['www-authenticate'], `Keystone uri="${fake.url.replace(/\/v3$/, '')}"`);
      assert.equal(res.body.code, '401 Unauthorized');
    }
    assert.equal(fake.validations, before + 1);
    const missing = await t.request.get('/v2/images').set({ Accept: 'application/json' });
    assert.equal(missing.status, 401);
    assert.match(String(missing.headers['www-authenticate']), /^Keystone uri="http:\/\/127\.0\.0\.1:\d+"$/);
    // Not a token at all: refused without asking Keystone.
    assert.equal((await t.request.get('/v2/images').set(as('a b'))).status, 401);
    assert.equal(fake.validations, before + 1);
  });

  it('a token without a project scope (system or domain) is 401', async () => {
    fake.issue('tok-system', { userId: 'u-admin', roles: ['admin'] });
    assert.equal((await t.request.get('/v2/images').set(as('tok-system'))).status, 401);
  });

  it('maps roles in lower case; admin makes an admin (public images are for admins)', async () => {
    fake.issue('tok-admin', { projectId: 'p-admin', userId: 'u-admin', roles: ['Admin', 'Member', 'reader'] });
    fake.issue('tok-member', { projectId: 'p-a', userId: 'u-alice', roles: ['MEMBER', 'Reader'] });
    assert.equal((await t.request.post('/v2/images').set(as('tok-admin')).send({ visibility: 'public' })).status, 201);
    const refused = await t.request.post('/v2/images').set(as('tok-member')).send({ visibility: 'public' });
    assert.equal(refused.status, 403);
    assert.equal((await t.request.post('/v2/images').set(as('tok-member')).send({ visibility: 'private' })).status, 201);
  });

  it('concurrent requests with the same new token share one validation', async () => {
    fake.issue('tok-burst', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    fake.delayMs = 100;
    const before = fake.validations;
    const answers = await Promise.all(Array.from({ length: 8 }, () => t.request.get('/v2/images').set(as('tok-burst'))));
    assert.deepEqual(
      answers.map((r) => r.status),
      Array(8).fill(200),
    );
    assert.equal(fake.validations, before + 1);
  });

  it('re-authenticates once when Keystone refuses the service token, and when it expires', async () => {
    const issues = fake.serviceIssues;
    fake.revokeServiceTokens();
    fake.issue('tok-after-revoke', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    assert.equal((await t.request.get('/v2/images').set(as('tok-after-revoke'))).status, 200);
    assert.equal(fake.serviceIssues, issues + 1);
    // Renewed shortly (120 s) before it expires: 3600 - 120 s after it was issued.
    t.clock.advance(3479);
    fake.issue('tok-late-1', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    assert.equal((await t.request.get('/v2/images').set(as('tok-late-1'))).status, 200);
    assert.equal(fake.serviceIssues, issues + 1);
    t.clock.advance(2);
    fake.issue('tok-late-2', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    assert.equal((await t.request.get('/v2/images').set(as('tok-late-2'))).status, 200);
    assert.equal(fake.serviceIssues, issues + 2);
  });

  it('a service token refused even right after re-authentication is 503, and not cached', async () => {
    fake.issue('tok-refused', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    fake.mode = 'refuse-service';
    const res = await t.request.get('/v2/images').set(as('tok-refused'));
    assert.equal(res.status, 503);
    assert.equal(messageOf(res.body), 'The identity service is unavailable: it refused a service token it had just issued.');
    fake.mode = 'ok';
    assert.equal((await t.request.get('/v2/images').set(as('tok-refused'))).status, 200);
  });

  it("Keystone answering 5xx is 503 in Glance's error format; nothing is cached, so it recovers", async () => {
    fake.issue('tok-5xx', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    fake.mode = 'down';
    const res = await t.request.get('/v2/images').set(as('tok-5xx'));
    assert.equal(res.status, 503);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['www-authenticate'], undefined);
    assert.equal(
      res.text,
      '{"message": "The identity service is unavailable: it answered 503 to a token validation.<br /><br />\\n\\n\\n", ' +
        '"code": "503 Service Unavailable", "title": "Service Unavailable"}',
    );
    fake.mode = 'ok';
    assert.equal((await t.request.get('/v2/images').set(as('tok-5xx'))).status, 200);
  });

  it('a connection Keystone drops without answering is tried once more; twice is 503', async () => {
    fake.issue('tok-drop-1', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    fake.issue('tok-drop-2', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    fake.dropNext = 1;
    assert.equal((await t.request.get('/v2/images').set(as('tok-drop-1'))).status, 200);
    fake.dropNext = 2;
    const res = await t.request.get('/v2/images').set(as('tok-drop-2'));
    assert.equal(res.status, 503);
    assert.equal(messageOf(res.body), 'The identity service is unavailable: it could not be reached (UND_ERR_SOCKET).');
  });

  it('does not serve /identity in keystone mode', async () => {
    assert.equal((await t.request.post('/identity/v3/auth/tokens').send({})).status, 404);
  });
});

describe('keystone mode: Keystone unreachable', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  it('a closed port is 503 at once', async () => {
    const t = await buildApp(keystoneAuth(`http://127.0.0.1:${await freePort()}/v3`));
    cleanups.push(() => t.close());
    const res = await t.request.get('/v2/images').set(as('tok'));
    assert.equal(res.status, 503);
    assert.equal(res.body.code, '503 Service Unavailable');
    assert.equal(messageOf(res.body), 'The identity service is unavailable: it could not be reached (ECONNREFUSED).');
  });

  it('a Keystone that never answers is 503 after timeoutMs, for every waiting request', async () => {
    const silent = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          silent.closeAllConnections();
          silent.close(() => resolve());
        }),
    );
    const t = await buildApp(keystoneAuth(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/v3`, { timeoutMs: 300 }));
    cleanups.push(() => t.close());
    const started = Date.now();
    const answers = await Promise.all([t.request.get('/v2/images').set(as('tok-1')), t.request.get('/v2/images').set(as('tok-2'))]);
    const elapsed = Date.now() - started;
    assert.deepEqual(
      answers.map((r) => r.status),
      [503, 503],
    );
    assert.equal(messageOf(answers[0]!.body), 'The identity service is unavailable: it did not answer within 300 ms.');
    assert.ok(elapsed >= 290 && elapsed < 1500, `took ${elapsed} ms`);
  });

  it("wrong service credentials are 503 (a configuration problem, not the caller's)", async () => {
    const fake = await new FakeKeystone().start();
    cleanups.push(() => fake.stop());
    const t = await appFor(fake, { password: 'wrong' });
    cleanups.push(() => t.close());
    fake.issue('tok', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
    const res = await t.request.get('/v2/images').set(as('tok'));
    assert.equal(res.status, 503);
    assert.equal(messageOf(res.body), 'The identity service is unavailable: it refused the credentials of this service.');
  });
});

describe('keystone authenticator: logging and shutdown', () => {
  it('never logs tokens or the service password; close() aborts requests in flight and answers 503 after', async () => {
    const fake = await new FakeKeystone().start();
    const lines: string[] = [];
    const record = (details: object, message: string) => {
      lines.push(JSON.stringify(details) + message);
    };
    const config = loadConfig({
      file: keystoneAuth(fake.url, { password: 'wrong' }),
      baseDir: '/tmp',
      env: {},
      check: (d) => validator().check('config.json', d),
    }).auth.keystone!;
    try {
      const wrong = createKeystoneAuthenticator({ config, clock: fake.clock, logger: { debug: record, info: record, error: record } });
      await assert.rejects(wrong.authenticateToken('tok-secret-1'), /refused the credentials/);
      const authenticator = createKeystoneAuthenticator({
        config: { ...config, password: SERVICE.password },
        clock: fake.clock,
        logger: { debug: record, info: record, error: record },
      });
      fake.issue('tok-secret-2', { projectId: 'p-a', userId: 'u-alice', roles: ['Reader'] });
      assert.deepEqual(await authenticator.authenticateToken('tok-secret-2'), {
        projectId: 'p-a',
        userId: 'u-alice',
        roles: ['reader'],
        isAdmin: false,
      });
      assert.equal(await authenticator.authenticateToken('tok-secret-3'), undefined);
      fake.revokeServiceTokens();
      fake.issue('tok-secret-4', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
      assert.ok(await authenticator.authenticateToken('tok-secret-4'));
      assert.ok(lines.length >= 3, lines.join('\n'));
      for (const secret of ['tok-secret', 'svc-', 'image-svc-secret', 'wrong"'])
        assert.ok(!lines.some((l) => l.includes(secret)), lines.join('\n'));

      fake.delayMs = 1_000;
      fake.issue('tok-slow', { projectId: 'p-a', userId: 'u-alice', roles: ['member', 'reader'] });
      const pending = authenticator.authenticateToken('tok-slow');
      setTimeout(() => authenticator.close(), 50);
      await assert.rejects(pending, /shutting down/);
      await assert.rejects(authenticator.authenticateToken('tok-secret-2'), /shutting down/);
    } finally {
      await fake.stop();
    }
  });
});

describe('keystone mode: configuration', () => {
  const load = (file: unknown) => loadConfig({ file, baseDir: '/srv', env: {}, check: (d) => validator().check('config.json', d) });

  it('requires auth.keystone in keystone mode, with url, username, password and projectName', () => {
    assert.throws(
      () => load({ auth: { mode: 'keystone' } }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.ok(error.problems.includes("/auth: must have required property 'keystone'"), error.message);
        return true;
      },
    );
    assert.throws(
      () => load({ auth: { mode: 'keystone', keystone: { url: 'ftp://k/v3' } } }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /\/auth\/keystone\/url: must match pattern/);
        for (const key of ['username', 'password', 'projectName']) assert.match(error.message, new RegExp(`required property '${key}'`));
        return true;
      },
    );
  });

  it('fills the documented defaults and drops a trailing slash from the URL', () => {
    const config = load(keystoneAuth('http://keystone.example:5000/v3/'));
    assert.equal(config.auth.mode, 'keystone');
    assert.deepEqual(config.auth.keystone, {
      url: 'http://keystone.example:5000/v3',
      ...SERVICE,
      userDomainName: 'Default',
      projectDomainName: 'Default',
      cacheSeconds: 300,
      timeoutMs: 5000,
    });
    assert.equal(load({}).auth.keystone, undefined);
  });
});

describe('keystone mode: grantees must be Keystone projects', () => {
  let fake: FakeKeystone;
  let t: TestApp;
  before(async () => {
    fake = await new FakeKeystone().start();
    t = await appFor(fake, { cacheSeconds: 300 });
    fake.issue('tok-owner', { projectId: 'p-owner', userId: 'u-owner', roles: ['member', 'reader'] });
    fake.projects.add('p-known');
    fake.projects.add('p-other');
  });
  after(async () => {
    await t.close();
    await fake.stop();
  });

  const lookups = (): string[] => fake.requests.filter((r) => r.url.startsWith('/v3/projects/')).map((r) => r.url);

  it('asks Keystone with the service token: a known project is added, an unknown id is 400 naming it', async () => {
    const image = await makeImage(t);
    const add = (member: string) => t.request.post(`/v2/images/${image.id}/members`).set(as('tok-owner')).send({ member });
    assert.equal((await add('p-known')).status, 200);
    const refused = await add('p-unknown');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, '400 Bad Request');
    assert.match(
      refused.body.message,
      /^Invalid member p-unknown: no project has this id\. A member must be the id of an existing project/,
    );
    assert.deepEqual(lookups(), ['/v3/projects/p-known', '/v3/projects/p-unknown']);
    assert.equal(fake.requests.find((r) => r.url === '/v3/projects/p-known')!.headers['x-auth-token'], 'svc-1');
  });

  it('caches both answers: asking again costs Keystone nothing', async () => {
    const image = await makeImage(t);
    const add = (member: string) => t.request.post(`/v2/images/${image.id}/members`).set(as('tok-owner')).send({ member });
    const before = lookups().length;
    assert.equal((await add('p-known')).status, 200);
    assert.equal((await add('p-unknown')).status, 400);
    assert.equal(lookups().length, before);
  });

  it('Keystone down: 503 for a project not yet known, never a pass or a 400', async () => {
    const image = await makeImage(t);
    fake.mode = 'down';
    try {
      const res = await t.request.post(`/v2/images/${image.id}/members`).set(as('tok-owner')).send({ member: 'p-other' });
      assert.equal(res.status, 503);
      assert.match(res.body.message, /^The identity service is unavailable: it answered 503 to a project look-up\./);
    } finally {
      fake.mode = 'ok';
    }
    const members = await t.request.get(`/v2/images/${image.id}/members`).set(as('tok-owner'));
    assert.deepEqual(members.body.members, []);
  });
});
