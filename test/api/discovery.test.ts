import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';

describe('version discovery, health and unknown routes', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ publicUrl: 'http://glance.example:9292' });
  });
  after(() => t.close());

  it('GET / answers 300 with the version list, without a token', async () => {
    const res = await t.request.get('/');
    assert.equal(res.status, 300);
    assert.equal(res.headers['content-type'], 'application/json');
    const body = JSON.parse(res.text) as { versions: Array<{ id: string; status: string; links: Array<{ rel: string; href: string }> }> };
    assert.equal(body.versions.length, 15);
    assert.deepEqual(body.versions[0], {
      id: 'v2.15',
      status: 'CURRENT',
      links: [{ rel: 'self', href: 'http://glance.example:9292/v2/' }],
    });
    assert.ok(body.versions.slice(1).every((v) => v.status === 'SUPPORTED'));
    assert.match(res.text, /^\{"versions": \[\{"id": "v2.15", "status": "CURRENT", "links": \[\{"rel": "self", "href": /);
  });

  it('GET /versions answers 200 with the same body', async () => {
    const [root, versions] = await Promise.all([t.request.get('/'), t.request.get('/versions')]);
    assert.equal(versions.status, 200);
    assert.equal(versions.text, root.text);
  });

  it('unknown version prefixes and unknown top-level paths get the 300 document', async () => {
    for (const path of ['/v1/images', '/v3/images', '/v2.14/images', '/foo']) {
      const res = await t.request.get(path);
      assert.equal(res.status, 300, path);
    }
  });

  it('GET /healthcheck answers OK', async () => {
    const res = await t.request.get('/healthcheck');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'OK');
  });

  it('every response carries X-Openstack-Request-Id, reusing a client id with the req- prefix', async () => {
    const fresh = await t.request.get('/versions');
    assert.match(String(fresh.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
    const reused = await t.request.get('/versions').set('X-Openstack-Request-Id', 'abc123');
    assert.equal(reused.headers['x-openstack-request-id'], 'req-abc123');
    const kept = await t.request.get('/versions').set('X-Openstack-Request-Id', 'req-fixed-1');
    assert.equal(kept.headers['x-openstack-request-id'], 'req-fixed-1');
  });

  it('a request id longer than 64 characters gets 431 (Glance answers 500 by mistake)', async () => {
    const ok = await t.request.get('/versions').set('X-Openstack-Request-Id', 'a'.repeat(64));
    assert.equal(ok.headers['x-openstack-request-id'], `req-${'a'.repeat(64)}`);
    const res = await t.request.get('/versions').set('X-Openstack-Request-Id', 'a'.repeat(65)).set('Accept', 'application/json');
    assert.equal(res.status, 431);
    assert.equal(res.headers['content-type'], 'application/json');
  });
});
