/**
 * `POST /v2/images` (spec 6.1, 14.8; texts compared with Glance 25.1) and the image schema
 * documents served at /v2/schemas/image(s).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { ADMIN, OTHER, OWNER, as, messageOf } from '../helpers/fixtures.ts';

const IMAGE_KEYS = [
  'name',
  'disk_format',
  'container_format',
  'visibility',
  'size',
  'virtual_size',
  'status',
  'checksum',
  'protected',
  'min_ram',
  'min_disk',
  'owner',
  'os_hidden',
  'os_hash_algo',
  'os_hash_value',
  'id',
  'created_at',
  'updated_at',
  'tags',
  'self',
  'file',
  'schema',
];

describe('POST /v2/images', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, publicUrl: 'http://glance.example:9292' });
  });
  after(() => t.close());

  const create = (body: unknown, who = OWNER) =>
    t.request
      .post('/v2/images')
      .set(who)
      .send(body as object);
  const expectError = async (body: unknown, status: number, text: string, who = OWNER): Promise<void> => {
    const res = await create(body, who);
    assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
    assert.equal(messageOf(res.body), text);
  };

  it("creates a queued, shared image owned by the caller, with Glance's keys in Glance's order", async () => {
    const res = await create({});
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body), IMAGE_KEYS);
    const id = res.body.id as string;
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(res.body, {
      name: null,
      disk_format: null,
      container_format: null,
      visibility: 'shared',
      size: null,
      virtual_size: null,
      status: 'queued',
      checksum: null,
      protected: false,
      min_ram: 0,
      min_disk: 0,
      owner: 'p-owner',
      os_hidden: false,
      os_hash_algo: null,
      os_hash_value: null,
      id,
      created_at: '2026-11-23T02:08:11Z',
      updated_at: '2026-11-23T02:08:11Z',
      tags: [],
      self: `/v2/images/${id}`,
      file: `/v2/images/${id}/file`,
      schema: '/v2/schemas/image',
    });
    assert.equal(res.headers['location'], `http://glance.example:9292/v2/images/${id}`);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['openstack-image-import-methods'], undefined);
    assert.match(res.text, /^\{"name": null, "disk_format": null, /);
  });

  it("echoes every attribute, extra properties first (OSC's owner_specified.openstack.* included)", async () => {
    const body = {
      name: 'cirros',
      'owner_specified.openstack.md5': 'abc',
      'owner_specified.openstack.sha256': 'def',
      'owner_specified.openstack.object': 'images/cirros',
      image_type: 'snapshot',
      disk_format: 'qcow2',
      container_format: 'bare',
      visibility: 'private',
      protected: true,
      os_hidden: true,
      min_ram: 512,
      min_disk: 1,
      tags: ['a', 'b', 'a'],
      kernel_id: '11111111-2222-3333-4444-555555555555',
      description: 'x'.repeat(70000 - 5000),
    };
    const res = await create(body);
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body), [
      'owner_specified.openstack.md5',
      'owner_specified.openstack.sha256',
      'owner_specified.openstack.object',
      'image_type',
      'kernel_id',
      'description',
      ...IMAGE_KEYS,
    ]);
    assert.equal(res.body['owner_specified.openstack.object'], 'images/cirros');
    assert.equal(res.body.description.length, 65000);
    assert.deepEqual(res.body.tags, ['a', 'b']);
    assert.equal(res.body.visibility, 'private');
    assert.equal(res.body.protected, true);
    assert.equal(res.body.min_ram, 512);
    const again = await t.request.get(`/v2/images/${res.body.id}`).set(OWNER);
    assert.deepEqual(again.body, res.body);
  });

  it('takes a client-supplied id, and answers 409 when it is taken', async () => {
    const id = '0b5d1c1c-9b0f-4c55-a0c6-3d3bb8f2a9a1';
    assert.equal((await create({ id })).status, 201);
    await expectError({ id }, 409, `Image ID ${id} already exists!`);
  });

  it('lets owners choose private, shared and community; public is for admins only', async () => {
    for (const visibility of ['private', 'shared', 'community']) {
      const res = await create({ visibility });
      assert.equal(res.status, 201);
      assert.equal(res.body.visibility, visibility);
    }
    await expectError({ visibility: 'public' }, 403, 'You are not authorized to complete publicize_image action.');
    const res = await create({ visibility: 'public' }, ADMIN);
    assert.equal(res.status, 201);
    assert.equal(res.body.owner, 'p-admin');
  });

  it('refuses images owned by another project unless the caller is admin', async () => {
    await expectError({ owner: 'p-other' }, 403, "You are not permitted to create images owned by 'p-other'.");
    await expectError({ owner: null }, 403, "You are not permitted to create images owned by 'None'.");
    assert.equal((await create({ owner: 'p-owner' })).status, 201);
    const res = await create({ owner: 'p-other' }, ADMIN);
    assert.equal(res.status, 201);
    assert.equal(res.body.owner, 'p-other');
  });

  it('needs the member role in new-defaults mode', async () => {
    await expectError({}, 403, 'You are not authorized to complete add_image action.', as('p-owner', 'reader'));
  });

  it("refuses read-only and reserved attributes with Glance's texts and order", async () => {
    await expectError({ status: 'active' }, 403, "Attribute 'status' is read-only.");
    await expectError({ size: 5, status: 'active' }, 403, "Attribute 'status' is read-only.");
    await expectError({ created_at: 'x', checksum: 'y' }, 403, "Attribute 'created_at' is read-only.");
    await expectError({ schema: 'x', status: 'bogus' }, 403, "Attribute 'schema' is read-only.");
    await expectError({ direct_url: 'x', self: 'y' }, 403, "Attribute 'direct_url' is read-only.");
    await expectError({ stores: 'local' }, 403, "Attribute 'stores' is read-only.");
    await expectError({ location: 'x' }, 403, "Attribute 'location' is reserved.");
    await expectError({ deleted: 'x' }, 403, "Attribute 'deleted' is reserved.");
    await expectError({ os_glance_import: 'x' }, 403, "Attribute 'os_glance_import' is reserved.");
    await expectError({ locations: [] }, 403, "Attribute 'locations' is reserved.");
    // Policy comes before the read-only check, as in Glance.
    await expectError({ status: 'active', visibility: 'public' }, 403, 'You are not authorized to complete publicize_image action.');
  });

  it("answers schema violations with jsonschema's explanation of the image schema", async () => {
    await expectError(
      { disk_format: 'bogus' },
      400,
      "Provided object does not match schema 'image': 'bogus' is not one of [None, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']\n\n" +
        "Failed validating 'enum' in schema['properties']['disk_format']:\n" +
        "    {'description': 'Format of the disk',\n     'enum': [None,\n              'ami',\n              'ari',\n              'aki',\n" +
        "              'vhd',\n              'vhdx',\n              'vmdk',\n              'raw',\n              'qcow2',\n              'vdi',\n" +
        "              'iso',\n              'ploop'],\n     'type': ['null', 'string']}\n\n" +
        "On instance['disk_format']:\n    'bogus'",
    );
    await expectError(
      { foo: 5 },
      400,
      "Provided object does not match schema 'image': 5 is not of type 'string'\n\n" +
        "Failed validating 'type' in schema['additionalProperties']:\n    {'type': 'string'}\n\nOn instance['foo']:\n    5",
    );
    await expectError(
      { tags: [1] },
      400,
      "Provided object does not match schema 'image': 1 is not of type 'string'\n\n" +
        "Failed validating 'type' in schema['properties']['tags']['items']:\n    {'maxLength': 255, 'type': 'string'}\n\n" +
        "On instance['tags'][0]:\n    1",
    );
    // jsonschema's best match: a type error wins over an enum error at the same depth.
    const res = await create({ disk_format: 'bogus', foo: 5 });
    assert.match(messageOf(res.body), /^Provided object does not match schema 'image': 5 is not of type 'string'\n/);
    const long = await create({ name: 'n'.repeat(256) });
    assert.equal(long.status, 400);
    assert.match(messageOf(long.body), /^Provided object does not match schema 'image': 'n{256}' is too long\n/);
    const kernel = await create({ kernel_id: 'abc' });
    assert.match(messageOf(kernel.body), /^Provided object does not match schema 'image': 'abc' does not match '\^\(\[0-9a-fA-F\]\)\{8\}/);
    assert.match(
      messageOf(kernel.body),
      /'description': 'ID of image stored in Glance that should be used as '\n {20}'the kernel when booting an AMI-style image\.',\n {5}'is_base': False,/,
    );
  });

  it('checks values the schema cannot: negative or out-of-range minimums, long property names and values', async () => {
    await expectError({ min_ram: -1 }, 400, "Invalid value '-1' for parameter 'min_ram': Cannot be a negative value");
    await expectError({ min_disk: -1, min_ram: -1 }, 400, "Invalid value '-1' for parameter 'min_disk': Cannot be a negative value");
    await expectError({ min_ram: 3000000000 }, 400, "'min_ram' value out of range, must not exceed 2147483647.");
    await expectError({ ['k'.repeat(256)]: 'v' }, 400, 'Custom property should not be greater than 255 characters.');
    await expectError({ big: 'v'.repeat(65536) }, 400, 'Custom property value should not be greater than 65535 characters.');
    assert.equal((await create({ ['k'.repeat(255)]: 'v'.repeat(65535) })).status, 201);
  });

  it('limits properties and tags to 128 each (413)', async () => {
    const properties = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, 'v']));
    await expectError(
      properties,
      413,
      'The limit has been exceeded on the number of allowed image properties. Attempted: 129, Maximum: 128',
    );
    await expectError(
      { tags: Array.from({ length: 129 }, (_, i) => `t${i}`) },
      413,
      'The limit has been exceeded on the number of allowed image tags. Attempted: 129, Maximum: 128',
    );
  });

  it('answers bad bodies with 400, never 500', async () => {
    const raw = (body: string) => t.request.post('/v2/images').set(OWNER).set('Content-Type', 'application/json').send(body);
    const cases: Array<[string, string]> = [
      ['{bad', 'Malformed JSON in request body.'],
      ['"x"', 'Unexpected body type. Expected list/dict.'],
      ['null', 'Unexpected body type. Expected list/dict.'],
      ['[]', "Provided object does not match schema 'image': [] is not of type 'object'"],
      ['[{"name": "x"}]', "Provided object does not match schema 'image': [{'name': 'x'}] is not of type 'object'"],
    ];
    for (const [body, text] of cases) {
      const res = await raw(body);
      assert.equal(res.status, 400, body);
      assert.equal(messageOf(res.body), text);
    }
    const empty = await t.request.post('/v2/images').set(OWNER);
    assert.equal(empty.status, 400);
    assert.equal(messageOf(empty.body), 'Body expected in request.');
    for (const body of [
      { name: {} },
      { name: [] },
      { tags: {} },
      { tags: [[]] },
      { min_ram: '1' },
      { min_ram: 1.5 },
      { protected: 1 },
      { visibility: null },
      { id: 5 },
      { foo: { a: 1 } },
    ]) {
      const res = await create(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(messageOf(res.body), /^Provided object does not match schema 'image': /);
    }
  });

  it('keeps an empty or "__proto__" property name as an ordinary property', async () => {
    const res = await t.request.post('/v2/images').set(OWNER).set('Content-Type', 'application/json').send('{"": "x", "__proto__": "y"}');
    assert.equal(res.status, 201);
    assert.match(res.text, /^\{"": "x", "__proto__": "y", "name": null/);
  });
});

describe('GET /v2/schemas/image and /v2/schemas/images', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' } });
  });
  after(() => t.close());

  it("serves Glance's image schema without stores (which breaks glanceclient's cache) or direct_url", async () => {
    const res = await t.request.get('/v2/schemas/image').set(OTHER);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.match(res.text, /^\{"name": "image", "properties": \{"id": \{"type": "string", "description": "An identifier for the image", /);
    const properties = Object.keys(res.body.properties);
    assert.ok(!properties.includes('stores') && !properties.includes('direct_url'));
    assert.deepEqual(properties.slice(0, 6), ['id', 'name', 'status', 'visibility', 'protected', 'os_hidden']);
    assert.deepEqual(res.body.additionalProperties, { type: 'string' });
    assert.deepEqual(res.body.links, [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ]);
  });

  it('serves the collection schema around the same image schema', async () => {
    const [image, images] = await Promise.all([
      t.request.get('/v2/schemas/image').set(OTHER),
      t.request.get('/v2/schemas/images').set(OTHER),
    ]);
    assert.equal(images.status, 200);
    assert.deepEqual(Object.keys(images.body.properties), ['images', 'first', 'next', 'schema']);
    assert.deepEqual(images.body.properties.images.items, image.body);
    assert.deepEqual(
      images.body.links.map((l: { rel: string }) => l.rel),
      ['first', 'next', 'describedby'],
    );
  });
});
