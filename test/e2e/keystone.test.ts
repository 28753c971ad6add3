/**
 * auth.mode "keystone" against a real Keystone 22 (Debian's python3-keystone, started by
 * scripts/peers/start-keystone.sh) and glance-share as a child process: the sharing workflow with
 * real tokens, refusals, the revocation window (cacheSeconds 2), and a Keystone outage.
 * Runs in `npm run test:e2e` only; about a minute, most of it Keystone's first start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/free-port.ts';
import { startKeystone, type KeystonePeer } from '../helpers/keystone-peer.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const CACHE_SECONDS = 2;

describe('keystone mode against a real Keystone 22', { timeout: 300_000 }, () => {
  let keystone: KeystonePeer | undefined;
  let server: ServerProcess | undefined;
  let dataDir: string;
  /** glance-share's log (stdout), to check what it says and what it never says. */
  let log = '';
  /** Every token this suite handled, none of which may ever be logged. */
  const secrets = new Set<string>(['image-svc-secret']);
  const issue = async (user: Parameters<KeystonePeer['issueToken']>[0]) => {
    const token = await keystone!.issueToken(user);
    secrets.add(token);
    return token;
  };

  before(async () => {
    const port = await freePort();
    keystone = await startKeystone(`http://127.0.0.1:${port}`);
    dataDir = mkdtempSync(join(tmpdir(), 'glance-share-e2e-'));
    server = await startServer(
      { dataDir, auth: keystone.authConfig({ cacheSeconds: CACHE_SECONDS, timeoutMs: 3000 }) },
      join(dataDir, 'config.json'),
      { port },
    );
    server.child.stdout!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
  });

  after(async () => {
    await server?.stop();
    await keystone?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(
    token: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; headers: Headers; body: any }> {
    const response = await fetch(`${server!.url}${path}`, {
      method,
      headers: { 'X-Auth-Token': token, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
  }

  it("the catalog's image endpoint is this glance-share", async () => {
    assert.equal(keystone!.ids.image_endpoint, server!.url);
  });

  it('member workflow: alice shares with proj-b, bob accepts and lists it, carol sees nothing', async () => {
    const { projects } = keystone!.ids;
    const [alice, bob, carol] = await Promise.all([issue('alice'), issue('bob'), issue('carol')]);
    const created = await call(alice, 'POST', '/v2/images', {
      name: 'e2e-shared',
      visibility: 'shared',
      disk_format: 'raw',
      container_format: 'bare',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.owner, projects['proj-a']);
    const id = created.body.id as string;

    const added = await call(alice, 'POST', `/v2/images/${id}/members`, { member: projects['proj-b'] });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal(added.body.status, 'pending');
    const accepted = await call(bob, 'PUT', `/v2/images/${id}/members/${projects['proj-b']}`, { status: 'accepted' });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.status, 'accepted');

    const listed = await call(bob, 'GET', '/v2/images');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.images.map((image: { id: string }) => image.id),
      [id],
    );
    assert.equal((await call(carol, 'GET', `/v2/images/${id}`)).status, 404);
    assert.deepEqual((await call(carol, 'GET', '/v2/images')).body.images, []);
  });

  it('grantees must be Keystone projects: a project name or an unknown id is 400 naming it, a real id is added', async () => {
    const { projects } = keystone!.ids;
    const alice = await issue('alice');
    const created = await call(alice, 'POST', '/v2/images', { name: 'e2e-grantees', visibility: 'shared' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    for (const member of ['proj-b', '0123456789abcdef0123456789abcdef']) {
      const refused = await call(alice, 'POST', `/v2/images/${id}/members`, { member });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.code, '400 Bad Request');
      assert.match(
        refused.body.message,
        new RegExp(
          `^Invalid member ${member}: no project has this id\\. A member must be the id of an existing project \\(not its name\\)\\.`,
        ),
      );
    }
    const added = await call(alice, 'POST', `/v2/images/${id}/members`, { member: projects['proj-c'] });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal((await call(alice, 'DELETE', `/v2/images/${id}`)).status, 204);
  });

  it("a garbage token is 401 with Keystone's WWW-Authenticate", async () => {
    const res = await call('gAAAAABgarbage', 'GET', '/v2/images');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Keystone uri="${keystone!.baseUrl}"`);
    assert.equal(res.body.code, '401 Unauthorized');
  });

  it(`a token revoked in Keystone works until its cache entry expires (${CACHE_SECONDS} s), then 401`, async () => {
    const token = await issue('carol');
    assert.equal((await call(token, 'GET', '/v2/images')).status, 200);
    await keystone!.revokeToken(token);
    assert.equal((await call(token, 'GET', '/v2/images')).status, 200);
    await sleep(CACHE_SECONDS * 1000 + 300);
    assert.equal((await call(token, 'GET', '/v2/images')).status, 401);
  });

  it('Keystone stopped: 503 for a token not yet validated; back again: the same token works', async () => {
    // admin's: restarting re-provisions the other users, which revokes their tokens (and image-svc's,
    // so glance-share must also re-authenticate after the restart).
    const token = await issue('admin');
    await keystone!.pause();
    const started = Date.now();
    const down = await call(token, 'GET', '/v2/images');
    assert.equal(down.status, 503);
    assert.equal(down.body.code, '503 Service Unavailable');
    assert.match(down.body.message, /^The identity service is unavailable: it could not be reached \(ECONNREFUSED\)\./);
    assert.ok(Date.now() - started < 3000);

    await keystone!.resume();
    assert.equal((await call(token, 'GET', '/v2/images')).status, 200);
    assert.match(log, /Keystone refused the service token; authenticating again/);
  });

  it('glance-share never logged a token or the service password', () => {
    assert.match(log, /"msg":"request"/);
    for (const secret of secrets) assert.ok(!log.includes(secret), 'a secret was logged');
  });
});
