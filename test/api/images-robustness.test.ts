/**
 * Nothing a client sends to the image routes may produce a 500: weird ids, huge names, wrong JSON
 * types, malformed JSON, arrays where objects belong, odd query strings.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { OWNER, as, makeImage, messageOf } from '../helpers/fixtures.ts';

const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

const WEIRD_IDS = [
  'x',
  '%00',
  '%E2%82%AC',
  '%ZZ',
  'a%2Fb',
  '..',
  '%2E%2E',
  ' ',
  '%20',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '0'.repeat(36),
  'ÿ'.repeat(10),
  encodeURIComponent('😀'.repeat(20)),
  'x'.repeat(10000),
];

const WEIRD_BODIES = [
  '',
  '{',
  '}',
  '[',
  'nul',
  'null',
  'true',
  '1',
  '"s"',
  '[]',
  '{}',
  '[[]]',
  '[{}]',
  '[null]',
  '{"a":',
  '\u0000',
  JSON.stringify({ name: 'x'.repeat(100000) }),
  JSON.stringify({ tags: Array(1000).fill('t') }),
  JSON.stringify({ name: { $ne: 1 } }),
  JSON.stringify({ min_ram: 1e308 }),
  JSON.stringify({ min_ram: -0 }),
  JSON.stringify({ id: '../../etc/passwd' }),
  JSON.stringify([{ op: 'add', path: '/__proto__', value: 'x' }]),
  JSON.stringify([{ op: 'add', path: '/constructor', value: 'x' }]),
  JSON.stringify([{ op: 'add', path: ['/name'], value: 'x' }]),
  JSON.stringify([{ op: ['add'], path: '/name', value: 'x' }]),
  JSON.stringify([{ op: 'add', path: '/tags', value: [null] }]),
  JSON.stringify([{ op: 'add', path: '/locations/0', value: 5 }]),
  JSON.stringify([{ op: 'remove', path: '/locations/x' }]),
  JSON.stringify([{ op: 'add', path: '/', value: {} }]),
  JSON.stringify({ __proto__: { polluted: 'yes' } }),
  '{"__proto__": {"polluted": "yes"}}',
  '{"constructor": {"prototype": {"x": 1}}}',
];

const WEIRD_QUERIES = [
  'limit=99999999999999999999999',
  'limit=1e3',
  'limit=%00',
  'marker=%00',
  'marker=',
  'sort_key=',
  'sort_dir=',
  'sort=',
  'sort=,',
  'sort=name:',
  'sort=:asc',
  'name=in:',
  'name=in:,,,',
  'name=in:"',
  'name=%00',
  'size_min=-1',
  'size_max=1e3',
  'created_at=gt:',
  'created_at=gt:2020-13-45T99:99:99Z',
  'updated_at=2020-01-01',
  'tag=',
  'tag=%00',
  '%=%',
  'a[b]=c',
  'a[]=1&a[]=2',
  'owner[x]=1',
  'visibility[]=public',
  'member_status[a]=b',
  'limit[]=1',
  'os_hidden[]=true',
  'protected=TRUE',
  'min_ram=abc',
  'id=in:' + 'x,'.repeat(2000),
  `name=${'n'.repeat(5000)}`,
  'checksum=%FF%FE',
  'deleted=true',
];

describe('image routes never answer 500 to bad input', () => {
  let t: TestApp;
  let imageId: string;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' } });
    imageId = (await makeImage(t)).id;
  });
  after(() => t.close());

  const expectNo500 = (res: { status: number; text: string }, what: string): void => {
    assert.ok(res.status < 500, `${what} → ${res.status} ${res.text.slice(0, 200)}`);
  };

  it('weird image ids on every route answer 4xx', async () => {
    for (const id of WEIRD_IDS) {
      for (const path of [`/v2/images/${id}`, `/v2/images/${id}/file`]) {
        expectNo500(await t.request.get(path).set(OWNER), `GET ${path}`);
        expectNo500(await t.request.delete(path).set(OWNER), `DELETE ${path}`);
      }
      expectNo500(await t.request.patch(`/v2/images/${id}`).set(OWNER).set('Content-Type', PATCH_TYPE).send('[]'), `PATCH ${id}`);
      expectNo500(
        await t.request.put(`/v2/images/${id}/file`).set(OWNER).set('Content-Type', 'application/octet-stream').send('x'),
        `PUT ${id}`,
      );
    }
  });

  it('weird bodies on create and patch answer 4xx (or 201 where valid)', async () => {
    for (const body of WEIRD_BODIES) {
      const created = await t.request.post('/v2/images').set(OWNER).set('Content-Type', 'application/json').send(body);
      expectNo500(created, `POST ${body.slice(0, 60)}`);
      const patched = await t.request.patch(`/v2/images/${imageId}`).set(OWNER).set('Content-Type', PATCH_TYPE).send(body);
      expectNo500(patched, `PATCH ${body.slice(0, 60)}`);
    }
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('weird query strings on the list answer 200 or 400', async () => {
    for (const query of WEIRD_QUERIES) {
      const res = await t.request.get(`/v2/images?${query}`).set(OWNER);
      assert.ok(res.status === 200 || res.status === 400, `${query.slice(0, 60)} → ${res.status} ${res.text.slice(0, 200)}`);
    }
  });

  it('deeply nested JSON is a 400 on every body route, not a 500 from a stack overflow (found by the fuzzer)', async () => {
    const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const deep = nested(100_000);
    const text = 'Malformed JSON in request body: nested more than 100 levels deep.';
    const bodies: Array<[string, string, string, string]> = [
      ['post', '/v2/images', 'application/json', `{"name": "x", "extra": ${deep}}`],
      ['patch', `/v2/images/${imageId}`, PATCH_TYPE, `[{"op": "add", "path": "/x", "value": ${deep}}]`],
      ['post', `/v2/images/${imageId}/members`, 'application/json', `{"member": ${deep}}`],
      ['put', `/v2/images/${imageId}/members/p-member`, 'application/json', `{"status": ${deep}}`],
    ];
    for (const [method, path, type, body] of bodies) {
      const res = await t.request[method as 'post'](path).set(OWNER).set('Content-Type', type).send(body);
      assert.equal(res.status, 400, `${method} ${path}: ${res.text.slice(0, 200)}`);
      assert.equal(messageOf(res.body), text);
    }
    // 100 levels are still read: the document is then judged on its content.
    const atLimit = await t.request
      .post('/v2/images')
      .set(OWNER)
      .set('Content-Type', 'application/json')
      .send(`{"name": "x", "extra": ${nested(99)}}`);
    assert.equal(atLimit.status, 400);
    assert.notEqual(messageOf(atLimit.body), text);
    const overLimit = await t.request
      .post('/v2/images')
      .set(OWNER)
      .set('Content-Type', 'application/json')
      .send(`{"name": "x", "extra": ${nested(100)}}`);
    assert.equal(messageOf(overLimit.body), text);
  });

  it('a trusted project id over 255 characters is no identity (401), not a 500 from PostgreSQL on create (found by the fuzzer)', async () => {
    const longest = await t.request
      .post('/v2/images')
      .set(as('p'.repeat(255)))
      .send({ name: 'x' });
    assert.equal(longest.status, 201, longest.text);
    assert.equal(longest.body.owner, 'p'.repeat(255));
    const tooLong = await t.request
      .post('/v2/images')
      .set(as('p'.repeat(256)))
      .send({ name: 'x' });
    assert.equal(tooLong.status, 401, tooLong.text);
    assert.equal((await t.request.get('/v2/images').set(as('p'.repeat(256)))).status, 401);
  });

  it('numeric list filters past the int4/int8 column ranges compare like any number, not a 500 on PostgreSQL (found by the fuzzer)', async () => {
    const image = await makeImage(t, { size: 10, minRam: 5, minDisk: 1 });
    const listed = async (query: string): Promise<boolean> => {
      const res = await t.request.get(`/v2/images?${query}&limit=1000`).set(OWNER);
      assert.equal(res.status, 200, `${query}: ${res.text.slice(0, 200)}`);
      return (res.body.images as Array<{ id: string }>).some((i) => i.id === image.id);
    };
    assert.equal(await listed('size_min=99999999999999999999'), false);
    assert.equal(await listed('size_max=99999999999999999999'), true);
    assert.equal(await listed('size_min=-99999999999999999999'), true);
    assert.equal(await listed('size_max=-99999999999999999999'), false);
    assert.equal(await listed('size=99999999999999999999'), false);
    assert.equal(await listed('size_max=9223372036854775807'), true);
    assert.equal(await listed('size_max=-9223372036854775808'), false);
    assert.equal(await listed('size_min=-9223372036854775809'), true);
    assert.equal(await listed('min_ram=2147483648'), false);
    assert.equal(await listed('min_ram_max=2147483648'), true);
    assert.equal(await listed('min_disk_min=-2147483649'), true);
    assert.equal(await listed('min_disk_min=2147483648'), false);
    assert.equal(await listed('size_min=10'), true);
  });

  it('a body far over the JSON limit is refused without a 500', async () => {
    const res = await t.request
      .post('/v2/images')
      .set(OWNER)
      .set('Content-Type', 'application/json')
      .send(`{"name": "${'x'.repeat(2 * 1024 * 1024)}"}`);
    expectNo500(res, 'huge body');
  });
});
