/**
 * The built-in identity's token rules without HTTP or a database: an in-memory TokenStore (the
 * same interface the knex store implements) and a clock the tests set. What is checked here is
 * which authentications succeed, what a token carries and when it stops working; the wire format
 * of `/identity` is covered by test/api/identity*.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Clock } from '../../src/base/clock.ts';
import type { IdentityConfig } from '../../src/base/config.ts';
import { ApiError } from '../../src/base/errors.ts';
import type { AuthRequestBody } from '../../src/identity/services/auth-request.ts';
import { createIdentityService, KEYSTONE_UNAUTHORIZED_TEXT, type IdentityService } from '../../src/identity/services/identity-service.ts';
import { hashPassword } from '../../src/identity/services/password-hash.ts';
import type { TokenRecord, TokenStore } from '../../src/identity/store/token-store.ts';

/** Tokens kept in a map by hash, as the real store keys its rows. */
class FakeTokenStore implements TokenStore {
  readonly records = new Map<string, TokenRecord>();

  async insert(record: TokenRecord): Promise<void> {
    if (this.records.has(record.tokenHash)) throw new Error(`duplicate token hash ${record.tokenHash}`);
    this.records.set(record.tokenHash, { ...record, methods: [...record.methods] });
  }

  async find(tokenHash: string): Promise<TokenRecord | undefined> {
    return this.records.get(tokenHash);
  }

  async delete(tokenHash: string): Promise<boolean> {
    return this.records.delete(tokenHash);
  }

  async purgeExpiredBefore(cutoff: string): Promise<number> {
    let count = 0;
    for (const [hash, record] of this.records) {
      if (record.expiresAt < cutoff && this.records.delete(hash)) count += 1;
    }
    return count;
  }
}

/** Stands still until a test moves it. */
class FixedClock implements Clock {
  ms: number;
  constructor(iso: string) {
    this.ms = Date.parse(iso);
  }
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

// One hash for every user: scrypt takes ~50 ms per hash and per verification.
const PASSWORD = 'secret';
const passwordHash = await hashPassword(PASSWORD);

const config: IdentityConfig = {
  demo: false,
  demoAllowRemote: false,
  tokenTtlSeconds: 3600,
  region: 'RegionTest',
  domains: [{ id: 'default', name: 'Default' }],
  projects: [
    { id: 'p-a', name: 'proj-a', domain: 'default' },
    { id: 'p-b', name: 'proj-b', domain: 'default' },
  ],
  users: [
    { id: 'u-alice', name: 'alice', domain: 'default', passwordHash, enabled: true },
    { id: 'u-multi', name: 'multi', domain: 'default', passwordHash, enabled: true },
  ],
  roleAssignments: [
    { user: 'u-alice', project: 'p-a', roles: ['Member'] },
    { user: 'u-multi', project: 'p-a', roles: ['reader'] },
    { user: 'u-multi', project: 'p-b', roles: ['member'] },
  ],
};

/** Milliseconds on purpose: stored times are cut to whole seconds. */
const START = '2026-03-01T12:00:00.750Z';
const HOUR_MS = 3_600_000;

function setup(): { identity: IdentityService; store: FakeTokenStore; clock: FixedClock; warnings: string[] } {
  const store = new FakeTokenStore();
  const clock = new FixedClock(START);
  const warnings: string[] = [];
  const identity = createIdentityService({ config, tokens: store, clock, logger: { warn: (_details, message) => warnings.push(message) } });
  return { identity, store, clock, warnings };
}

function passwordAuth(user: string, password = PASSWORD, projectName?: string): AuthRequestBody {
  return {
    identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
    ...(projectName === undefined ? {} : { scope: { project: { name: projectName, domain: { id: 'default' } } } }),
  };
}

function tokenAuth(token: string): AuthRequestBody {
  return { identity: { methods: ['token'], token: { id: token } } };
}

/** An assert.rejects matcher for an ApiError with this status and text. */
function apiError(status: number, message: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
    assert.equal(error.status, status);
    assert.equal(error.message, message);
    return true;
  };
}

const unauthorized = apiError(401, 'The request you have made requires authentication.');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('identity service: issuing tokens', () => {
  test('a password login without a scope gets the user its only project', async () => {
    const { identity, store } = setup();
    const issued = await identity.issueToken(passwordAuth('alice'));

    assert.match(issued.token, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(issued.info.methods, ['password']);
    assert.equal(issued.info.user.id, 'u-alice');
    assert.equal(issued.info.project.id, 'p-a');
    assert.deepEqual(issued.info.projectDomain, { id: 'default', name: 'Default' });
    assert.deepEqual(
      issued.info.roles.map((role) => role.name),
      ['member', 'reader'],
    );
    assert.equal(issued.info.issuedAt, '2026-03-01T12:00:00.000Z');
    assert.equal(issued.info.expiresAt, '2026-03-01T13:00:00.000Z');
    assert.equal(issued.info.auditIds.length, 1);

    // Only the hash is stored.
    assert.deepEqual([...store.records.keys()], [sha256(issued.token)]);
    assert.ok(!JSON.stringify([...store.records.values()]).includes(issued.token));

    assert.deepEqual(await identity.authenticateToken(issued.token), {
      projectId: 'p-a',
      userId: 'u-alice',
      roles: ['member', 'reader'],
      isAdmin: false,
    });
  });

  test('a user with roles on several projects must name one', async () => {
    const { identity, store } = setup();
    await assert.rejects(identity.issueToken(passwordAuth('multi')), unauthorized);
    assert.equal(store.records.size, 0);

    const issued = await identity.issueToken(passwordAuth('multi', PASSWORD, 'proj-b'));
    assert.equal(issued.info.project.id, 'p-b');
    assert.deepEqual(
      issued.info.roles.map((role) => role.name),
      ['member', 'reader'],
    );
  });

  test("a wrong password is Keystone's 401", async () => {
    const { identity, store } = setup();
    assert.equal(KEYSTONE_UNAUTHORIZED_TEXT, 'The request you have made requires authentication.');
    await assert.rejects(identity.issueToken(passwordAuth('alice', 'not-the-password')), unauthorized);
    assert.equal(store.records.size, 0);
  });

  test("re-issuing with a token keeps its expiry and lists 'token' first", async () => {
    const { identity, clock } = setup();
    const first = await identity.issueToken(passwordAuth('alice'));
    clock.advance(10 * 60_000);

    const again = await identity.issueToken(tokenAuth(first.token));
    assert.notEqual(again.token, first.token);
    assert.deepEqual(again.info.methods, ['token', 'password']);
    assert.equal(again.info.project.id, 'p-a');
    assert.equal(again.info.issuedAt, '2026-03-01T12:10:00.000Z');
    assert.equal(again.info.expiresAt, first.info.expiresAt);
    assert.equal(again.info.auditIds.length, 2);
    assert.equal(again.info.auditIds[1], first.info.auditIds[0]);
    assert.notEqual(again.info.auditIds[0], first.info.auditIds[0]);

    // Both methods at once, password listed first: still "token" first.
    const both = await identity.issueToken({
      identity: {
        methods: ['password', 'token'],
        password: { user: { id: 'u-alice', password: PASSWORD } },
        token: { id: again.token },
      },
    });
    assert.deepEqual(both.info.methods, ['token', 'password']);
    assert.equal(both.info.expiresAt, first.info.expiresAt);
    assert.equal(both.info.auditIds[1], first.info.auditIds[0]);
  });
});

describe('identity service: validating and revoking', () => {
  test('validate: 401 without a valid auth token, 403 without a subject, 404 for an unknown subject', async () => {
    const { identity } = setup();
    const { token, info } = await identity.issueToken(passwordAuth('alice'));

    await assert.rejects(identity.validateToken(undefined, token), unauthorized);
    await assert.rejects(identity.validateToken('not-a-token', token), unauthorized);
    const forbidden = apiError(403, 'You are not authorized to perform the requested action: identity:validate_token.');
    await assert.rejects(identity.validateToken(token, undefined), forbidden);
    await assert.rejects(identity.validateToken(token, ''), forbidden);
    await assert.rejects(identity.validateToken(token, 'not-a-token'), apiError(404, 'Failed to validate token'));

    assert.deepEqual(await identity.validateToken(token, token), info);
  });

  test('revoke: 401 without a valid auth token, 403 without a subject, 404 for an unknown subject', async () => {
    const { identity, store } = setup();
    const { token } = await identity.issueToken(passwordAuth('alice'));

    await assert.rejects(identity.revokeToken(undefined, token), unauthorized);
    await assert.rejects(identity.revokeToken('not-a-token', token), unauthorized);
    const forbidden = apiError(403, 'You are not authorized to perform the requested action: identity:revoke_token.');
    await assert.rejects(identity.revokeToken(token, undefined), forbidden);
    await assert.rejects(identity.revokeToken(token, ''), forbidden);
    await assert.rejects(identity.revokeToken(token, 'not-a-token'), apiError(404, 'Failed to validate token'));
    assert.equal(store.records.size, 1);
  });

  test('an expired token no longer authenticates', async () => {
    const { identity, clock } = setup();
    const old = await identity.issueToken(passwordAuth('alice'));
    assert.ok(await identity.authenticateToken(old.token));
    clock.advance(HOUR_MS / 2);
    const fresh = await identity.issueToken(passwordAuth('alice'));

    // The last millisecond before the expiry still counts; the expiry itself does not.
    clock.ms = Date.parse(old.info.expiresAt) - 1;
    assert.equal((await identity.authenticateToken(old.token))?.userId, 'u-alice');
    clock.ms = Date.parse(old.info.expiresAt);
    assert.equal(await identity.authenticateToken(old.token), undefined);
    await assert.rejects(identity.requireCaller(old.token), unauthorized);
    await assert.rejects(identity.validateToken(fresh.token, old.token), apiError(404, 'Failed to validate token'));
    await assert.rejects(identity.issueToken(tokenAuth(old.token)), unauthorized);
    assert.equal((await identity.authenticateToken(fresh.token))?.projectId, 'p-a');
  });

  test('a revoked token no longer authenticates', async () => {
    const { identity, store } = setup();
    const revoked = await identity.issueToken(passwordAuth('alice'));
    const other = await identity.issueToken(tokenAuth(revoked.token));
    // Validated once, so that the revocation must also reach the cache.
    assert.equal((await identity.authenticateToken(revoked.token))?.userId, 'u-alice');

    await identity.revokeToken(other.token, revoked.token);

    assert.equal(store.records.has(sha256(revoked.token)), false);
    assert.equal(await identity.authenticateToken(revoked.token), undefined);
    await assert.rejects(identity.requireCaller(revoked.token), unauthorized);
    await assert.rejects(identity.revokeToken(other.token, revoked.token), apiError(404, 'Failed to validate token'));
    await assert.rejects(identity.issueToken(tokenAuth(revoked.token)), unauthorized);
    // The token re-issued from the revoked one stays valid: only the revoked token's own row goes.
    assert.equal((await identity.authenticateToken(other.token))?.userId, 'u-alice');
  });
});
