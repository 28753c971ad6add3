/**
 * `GET`, `PATCH` and `DELETE /v2/images/{id}` (texts compared with Glance 25.1), in legacy mode
 * unless a test says otherwise; new-defaults differences are in images-policy.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Image, MemberStatus } from '../../src/base/domain.ts';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { ADMIN, MEMBER, OTHER, OWNER, makeImage, messageOf } from '../helpers/fixtures.ts';

const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

async function addMemberRow(t: TestApp, image: Image, memberId: string, status: MemberStatus): Promise<void> {
  const at = t.clock.now().toISOString();
  await t
    .db('image_members')
    .insert({ image_id: image.id, member_id: memberId, status, created_at: at, updated_at: at, deleted: false, seq: 1 });
}

describe('GET /v2/images/{id}', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, policy: { mode: 'legacy' } });
  });
  after(() => t.close());

  it('shows an image to its owner, members in any status, and anyone for public or community', async () => {
    const shared = await makeImage(t, { properties: { image_type: 'snapshot' }, tags: ['x'] });
    await addMemberRow(t, shared, 'p-member', 'rejected');
    for (const who of [OWNER, MEMBER, ADMIN]) {
      const res = await t.request.get(`/v2/images/${shared.id}`).set(who);
      assert.equal(res.status, 200);
      assert.equal(res.body.id, shared.id);
      assert.equal(res.body.image_type, 'snapshot');
      assert.deepEqual(res.body.tags, ['x']);
    }
    for (const visibility of ['public', 'community'] as const) {
      const image = await makeImage(t, { visibility });
      assert.equal((await t.request.get(`/v2/images/${image.id}`).set(OTHER)).status, 200);
    }
  });

  it('answers 404 "No image found with ID …" for invisible, unknown, non-UUID and over-long ids', async () => {
    const priv = await makeImage(t, { visibility: 'private' });
    const shared = await makeImage(t);
    for (const [id, who] of [
      [priv.id, OTHER],
      [shared.id, OTHER],
      [priv.id, MEMBER],
      ['00000000-0000-0000-0000-000000000000', OWNER],
      ['not-a-uuid', OWNER],
      ['cirros-0.6.2-x86_64-disk', OWNER],
      ['a'.repeat(40), OWNER],
      ['x'.repeat(5000), OWNER],
    ] as const) {
      const res = await t.request.get(`/v2/images/${id}`).set(who);
      assert.equal(res.status, 404, id);
      assert.equal(messageOf(res.body), `No image found with ID ${id}`);
    }
  });

  it('refuses a body, other methods (405 with Allow) and a trailing slash', async () => {
    const image = await makeImage(t);
    const withBody = await t.request.get(`/v2/images/${image.id}`).set(OWNER).send({ a: 1 });
    assert.equal(withBody.status, 400);
    assert.equal(messageOf(withBody.body), 'A body is not expected with this request.');
    const put = await t.request.put(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(put.status, 405);
    assert.equal(put.headers['allow'], 'GET, PATCH, DELETE');
    assert.equal(messageOf(put.body), 'The method PUT is not allowed for this resource. ');
    const head = await t.request.head(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(head.status, 405);
    const collection = await t.request.delete('/v2/images').set(OWNER);
    assert.equal(collection.status, 405);
    assert.equal(collection.headers['allow'], 'GET, POST');
    const slash = await t.request.get(`/v2/images/${image.id}/`).set(OWNER);
    assert.equal(slash.status, 404);
    assert.equal(messageOf(slash.body), 'The resource could not be found.');
  });
});

describe('PATCH /v2/images/{id}', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, policy: { mode: 'legacy' } });
  });
  after(() => t.close());

  const patch = (id: string, body: unknown, who = OWNER, type = PATCH_TYPE) =>
    t.request.patch(`/v2/images/${id}`).set(who).set('Content-Type', type).send(JSON.stringify(body));
  const expectError = async (id: string, body: unknown, status: number, text: string, who = OWNER): Promise<void> => {
    const res = await patch(id, body, who);
    assert.equal(res.status, status, JSON.stringify(body));
    assert.equal(messageOf(res.body), text, JSON.stringify(body));
  };

  it('applies add, replace and remove on attributes, tags and extra properties, in order', async () => {
    const image = await makeImage(t, { diskFormat: null, containerFormat: null, properties: { foo: 'bar', keep: 'k' } });
    t.clock.advance(60);
    const res = await patch(image.id, [
      { op: 'replace', path: '/name', value: 'n2' },
      { op: 'add', path: '/baz', value: 'q' },
      { op: 'remove', path: '/foo' },
      { op: 'replace', path: '/keep', value: 'k2' },
      { op: 'replace', path: '/tags', value: ['t1', 't2', 't1'] },
      { op: 'add', path: '/min_ram', value: 5 },
      { op: 'replace', path: '/min_disk', value: 2 },
      { op: 'replace', path: '/protected', value: true },
      { op: 'replace', path: '/os_hidden', value: true },
      { op: 'replace', path: '/visibility', value: 'community' },
      { op: 'replace', path: '/disk_format', value: 'qcow2' },
      { op: 'add', path: '/container_format', value: 'bare' },
      { op: 'add', path: '/a~1b', value: 'slash' },
      { op: 'add', path: '/ spaced ', value: 'trimmed' },
    ]);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).slice(0, 5), ['keep', 'baz', 'a/b', 'spaced', 'name']);
    assert.equal(res.body.keep, 'k2');
    assert.equal(res.body.foo, undefined);
    assert.deepEqual(res.body.tags, ['t1', 't2']);
    assert.equal(res.body.name, 'n2');
    assert.equal(res.body.min_ram, 5);
    assert.equal(res.body.min_disk, 2);
    assert.equal(res.body.protected, true);
    assert.equal(res.body.os_hidden, true);
    assert.equal(res.body.visibility, 'community');
    assert.equal(res.body.disk_format, 'qcow2');
    assert.equal(res.body.container_format, 'bare');
    assert.equal(res.body.created_at, '2026-11-23T02:08:11Z');
    assert.equal(res.body.updated_at, '2026-11-23T02:09:11Z');
    const shown = await t.request.get(`/v2/images/${image.id}`).set(OWNER);
    assert.deepEqual(shown.body, res.body);
  });

  it('an empty patch returns the image unchanged, to anyone who can see it', async () => {
    const image = await makeImage(t, { visibility: 'public' });
    const res = await patch(image.id, [], OTHER);
    assert.equal(res.status, 200);
    t.clock.advance(5);
    const again = await patch(image.id, [], OWNER);
    assert.equal(again.body.updated_at, res.body.created_at);
    assert.deepEqual(again.body, res.body);
  });

  it('accepts the v2.0 (draft 4) patch format, where add refuses an existing property', async () => {
    const image = await makeImage(t, { properties: { p: '1' } });
    const v20 = 'application/openstack-images-v2.0-json-patch';
    const ok = await patch(
      image.id,
      [
        { replace: '/name', value: 'd4' },
        { add: '/q', value: '2' },
      ],
      OWNER,
      v20,
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.body.name, 'd4');
    const dup = await patch(image.id, [{ add: '/p', value: 'x' }], OWNER, v20);
    assert.equal(dup.status, 409);
    assert.equal(messageOf(dup.body), 'Property p already present.');
    const two = await patch(image.id, [{ add: '/p', replace: '/p', value: 'x' }], OWNER, v20);
    assert.equal(messageOf(two.body), 'Operation objects must contain only one member named "add", "remove", or "replace".');
  });

  it('answers other media types with 415 and Accept-Patch', async () => {
    const image = await makeImage(t);
    for (const type of ['application/json', 'application/json-patch+json', 'text/plain']) {
      const res = await patch(image.id, [], OWNER, type);
      assert.equal(res.status, 415);
      assert.equal(
        res.headers['accept-patch'],
        'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch',
      );
      assert.equal(messageOf(res.body), `The request media type ${type} is not supported by this server.`);
    }
    assert.equal((await patch(image.id, [], OWNER, `${PATCH_TYPE}; charset=UTF-8`)).status, 200);
  });

  it("refuses malformed documents with Glance's texts", async () => {
    const image = await makeImage(t);
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'Request body must be a JSON array of operation objects.'],
      [[1], 400, 'Operations must be JSON objects.'],
      [[{ path: '/name' }], 400, 'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.'],
      [[{ op: 'move', path: '/name' }], 400, 'Invalid operation: `move`. It must be one of the following: add, remove, replace.'],
      [[{ op: 5, path: '/name' }], 400, 'Invalid operation: `5`. It must be one of the following: add, remove, replace.'],
      [[{ op: 'add' }], 400, "Unable to find 'path' in JSON Schema change"],
      [[{ op: 'add', path: '/name' }], 400, 'Operation "add" requires a member named "value".'],
      [[{ op: 'add', path: 'name', value: 'x' }], 400, 'Pointer `name` does not start with "/".'],
      [[{ op: 'add', path: 5, value: 'x' }], 400, 'Pointer `5` does not start with "/".'],
      [[{ op: 'add', path: '//', value: 'x' }], 400, 'Pointer `//` end with "/".'],
      [[{ op: 'add', path: '/a//b', value: 'x' }], 400, 'Pointer `/a//b` contains adjacent "/".'],
      [[{ op: 'add', path: '/~2x', value: 'x' }], 400, 'Pointer `/~2x` contains "~" not part of a recognized escape sequence.'],
      [[{ op: 'add', path: '/a/b', value: 'x' }], 400, "Invalid JSON pointer for this resource: '/a/b'"],
      [[{ op: 'add', path: '/tags/-', value: 'x' }], 400, "Invalid JSON pointer for this resource: '/tags/-'"],
      [[{ op: 'add', path: '/locations', value: [] }], 400, "Invalid JSON pointer for this resource: '/locations'"],
      [
        [{ op: 'replace', path: '/name', value: 5 }],
        400,
        "Provided object does not match schema 'image': 5 is not of type 'null', 'string'\n\n" +
          "Failed validating 'type' in schema['properties']['name']:\n    {'description': 'Descriptive name for the image',\n" +
          "     'maxLength': 255,\n     'type': ['null', 'string']}\n\nOn instance['name']:\n    5",
      ],
      [
        [{ op: 'replace', path: '/x', value: 5 }],
        400,
        "Provided object does not match schema 'image': 5 is not of type 'string'\n\n" +
          "Failed validating 'type' in schema['additionalProperties']:\n    {'type': 'string'}\n\nOn instance['x']:\n    5",
      ],
      [
        [{ op: 'add', path: '/tags', value: 'x' }],
        400,
        "Provided object does not match schema 'image': 'x' is not of type 'array'\n\n" +
          "Failed validating 'type' in schema['properties']['tags']:\n    {'description': 'List of strings related to the image',\n" +
          "     'items': {'maxLength': 255, 'type': 'string'},\n     'type': 'array'}\n\nOn instance['tags']:\n    'x'",
      ],
      [[{ op: 'add', path: `/${'k'.repeat(256)}`, value: 'x' }], 400, 'Custom property should not be greater than 255 characters.'],
    ];
    for (const [body, status, text] of cases) await expectError(image.id, body, status, text);
    for (const [raw, text] of [
      ['{bad', 'Malformed JSON in request body.'],
      ['"x"', 'Unexpected body type. Expected list/dict.'],
    ]) {
      const res = await t.request.patch(`/v2/images/${image.id}`).set(OWNER).set('Content-Type', PATCH_TYPE).send(raw);
      assert.equal(res.status, 400);
      assert.equal(messageOf(res.body), text);
    }
    const none = await t.request.patch(`/v2/images/${image.id}`).set(OWNER).set('Content-Type', PATCH_TYPE);
    assert.equal(messageOf(none.body), 'Body expected in request.');
  });

  it('refuses read-only, reserved and unremovable attributes, and missing properties', async () => {
    const image = await makeImage(t);
    const cases: Array<[unknown, number, string]> = [
      [[{ op: 'replace', path: '/status', value: 'active' }], 403, "Attribute 'status' is read-only."],
      [[{ op: 'replace', path: '/id', value: 'x' }], 403, "Attribute 'id' is read-only."],
      [[{ op: 'add', path: '/self', value: 'x' }], 403, "Attribute 'self' is read-only."],
      [[{ op: 'add', path: '/direct_url', value: 'x' }], 403, "Attribute 'direct_url' is read-only."],
      [[{ op: 'remove', path: '/checksum' }], 403, "Attribute 'checksum' is read-only."],
      [[{ op: 'add', path: '/location', value: 'x' }], 403, "Attribute 'location' is reserved."],
      [[{ op: 'add', path: '/os_glance_x', value: 'x' }], 403, "Attribute 'os_glance_x' is reserved."],
      [[{ op: 'remove', path: '/name' }], 403, 'Property name may not be removed.'],
      [[{ op: 'remove', path: '/tags' }], 403, 'Property tags may not be removed.'],
      [[{ op: 'remove', path: '/owner' }], 403, 'Property owner may not be removed.'],
      [[{ op: 'remove', path: '/nope' }], 409, 'Property nope does not exist.'],
      [[{ op: 'replace', path: '/nope', value: 'x' }], 409, 'Property nope does not exist.'],
      [[{ op: 'replace', path: '/locations', value: [] }], 403, 'Cannot set locations to empty list.'],
      [
        [{ op: 'replace', path: '/locations', value: [{ url: 'http://x', metadata: {} }] }],
        403,
        "It's not allowed to update locations if locations are invisible.",
      ],
      [
        [{ op: 'add', path: '/locations/-', value: { url: 'http://x', metadata: {} } }],
        403,
        "It's not allowed to add locations if locations are invisible.",
      ],
      [[{ op: 'remove', path: '/locations/0' }], 403, "It's not allowed to remove locations if locations are invisible."],
      [[{ op: 'replace', path: '/min_disk', value: -2 }], 400, "Invalid value '-2' for parameter 'min_disk': Cannot be a negative value"],
      [[{ op: 'replace', path: '/min_ram', value: 3000000000 }], 400, "'min_ram' value out of range, must not exceed 2147483647."],
      // The first failing change wins and nothing is saved.
      [
        [
          { op: 'replace', path: '/name', value: 'changed' },
          { op: 'remove', path: '/nope' },
        ],
        409,
        'Property nope does not exist.',
      ],
    ];
    for (const [body, status, text] of cases) await expectError(image.id, body, status, text);
    assert.equal((await t.request.get(`/v2/images/${image.id}`).set(OWNER)).body.name, 'test-image');
  });

  it('formats can change only while the image is queued', async () => {
    const image = await makeImage(t, { status: 'active' });
    await expectError(
      image.id,
      [{ op: 'replace', path: '/disk_format', value: 'qcow2' }],
      403,
      'Attribute disk_format can be only replaced for a queued image.',
    );
    await expectError(
      image.id,
      [{ op: 'replace', path: '/container_format', value: 'ovf' }],
      403,
      'Attribute container_format can be only replaced for a queued image.',
    );
  });

  it('only the owner or an admin may change an image; the invisible get 404', async () => {
    const image = await makeImage(t);
    await addMemberRow(t, image, 'p-member', 'accepted');
    const change = [{ op: 'replace', path: '/name', value: 'x' }];
    await expectError(image.id, change, 403, 'You do not own this image', MEMBER);
    await expectError(image.id, change, 404, `No image found with ID ${image.id}`, OTHER);
    await expectError('nope', change, 404, 'No image found with ID nope');
    const pub = await makeImage(t, { visibility: 'public' });
    await expectError(pub.id, change, 403, 'You do not own this image', OTHER);
    await expectError(
      pub.id,
      [{ op: 'replace', path: '/visibility', value: 'public' }],
      403,
      'You are not authorized to complete publicize_image action.',
      OTHER,
    );
    const res = await patch(image.id, change, ADMIN);
    assert.equal(res.status, 200);
    assert.equal(res.body.name, 'x');
  });

  it('visibility: public for admins only, owners may go private/shared/community and back from public', async () => {
    const image = await makeImage(t);
    await expectError(
      image.id,
      [{ op: 'replace', path: '/visibility', value: 'public' }],
      403,
      'You are not authorized to complete publicize_image action.',
    );
    await expectError(
      image.id,
      [{ op: 'replace', path: '/visibility', value: 'bogus' }],
      400,
      "Provided object does not match schema 'image': 'bogus' is not one of ['community', 'public', 'private', 'shared']\n\n" +
        "Failed validating 'enum' in schema['properties']['visibility']:\n    {'description': 'Scope of image accessibility',\n" +
        "     'enum': ['community', 'public', 'private', 'shared'],\n     'type': 'string'}\n\nOn instance['visibility']:\n    'bogus'",
    );
    assert.equal((await patch(image.id, [{ op: 'replace', path: '/visibility', value: 'public' }], ADMIN)).body.visibility, 'public');
    for (const visibility of ['shared', 'private', 'community', 'shared']) {
      const res = await patch(image.id, [{ op: 'replace', path: '/visibility', value: visibility }]);
      assert.equal(res.status, 200);
      assert.equal(res.body.visibility, visibility);
    }
  });

  it('visibility changes keep member rows: they go dormant and come back with their status', async () => {
    const image = await makeImage(t);
    await addMemberRow(t, image, 'p-member', 'rejected');
    assert.equal((await patch(image.id, [{ op: 'replace', path: '/visibility', value: 'private' }])).status, 200);
    assert.equal((await t.request.get(`/v2/images/${image.id}`).set(MEMBER)).status, 404);
    assert.equal((await patch(image.id, [{ op: 'replace', path: '/visibility', value: 'shared' }])).status, 200);
    assert.equal((await t.request.get(`/v2/images/${image.id}`).set(MEMBER)).status, 200);
    const rows = await t.db('image_members').where({ image_id: image.id }).select('member_id', 'status', 'deleted');
    assert.deepEqual(
      rows.map((row) => ({ ...row, deleted: Boolean(row.deleted) })),
      [{ member_id: 'p-member', status: 'rejected', deleted: false }],
    );
  });

  it('owner changes: replace is admin-only; add of another owner by the owner is refused (OSC set --project --accept)', async () => {
    const image = await makeImage(t);
    await addMemberRow(t, image, 'p-member', 'accepted');
    await expectError(image.id, [{ op: 'replace', path: '/owner', value: 'p-member' }], 403, "Owner can't be updated by non admin.");
    await expectError(image.id, [{ op: 'replace', path: '/owner', value: 'p-owner' }], 403, "Owner can't be updated by non admin.");
    await expectError(image.id, [{ op: 'add', path: '/owner', value: 'p-member' }], 403, 'You do not own this image', MEMBER);
    await expectError(
      image.id,
      [{ op: 'add', path: '/owner', value: 'p-member' }],
      403,
      `Forbidding request, image ${image.id} not visible`,
    );
    assert.equal((await patch(image.id, [{ op: 'add', path: '/owner', value: 'p-owner' }])).status, 200);
    const res = await patch(image.id, [{ op: 'replace', path: '/owner', value: 'p-member' }], ADMIN);
    assert.equal(res.status, 200);
    assert.equal(res.body.owner, 'p-member');
  });

  it('limits the number of properties and tags (413)', async () => {
    const image = await makeImage(t, { properties: Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`p${i}`, 'v'])) });
    await expectError(
      image.id,
      [{ op: 'add', path: '/one-more', value: 'v' }],
      413,
      'The limit has been exceeded on the number of allowed image properties. Attempted: 129, Maximum: 128',
    );
    assert.equal((await patch(image.id, [{ op: 'replace', path: '/p0', value: 'w' }])).status, 200);
    await expectError(
      image.id,
      [{ op: 'replace', path: '/tags', value: Array.from({ length: 129 }, (_, i) => `t${i}`) }],
      413,
      'The limit has been exceeded on the number of allowed image tags. Attempted: 129, Maximum: 128',
    );
  });
});

describe('DELETE /v2/images/{id}', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, policy: { mode: 'legacy' } });
  });
  after(() => t.close());

  it('deletes the image with its member rows, properties and tags (204, empty body)', async () => {
    const image = await makeImage(t, { properties: { a: 'b' }, tags: ['t'] });
    await addMemberRow(t, image, 'p-member', 'accepted');
    await addMemberRow(t, image, 'p-member2', 'pending');
    const res = await t.request.delete(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers['content-type'], undefined);
    for (const table of ['images', 'image_members', 'image_properties', 'image_tags']) {
      const column = table === 'images' ? 'id' : 'image_id';
      assert.deepEqual(await t.db(table).where(column, image.id), [], table);
    }
    const again = await t.request.get(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(again.status, 404);
    assert.equal(messageOf(again.body), `No image found with ID ${image.id}`);
    const twice = await t.request.delete(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(twice.status, 404);
    assert.equal(messageOf(twice.body), `Failed to find image ${image.id} to delete`);
    const members = await t.request.get(`/v2/images/${image.id}/members`).set(MEMBER);
    assert.equal(members.status, 404);
  });

  it("refuses protected images, other projects' images and the invisible", async () => {
    const protectedImage = await makeImage(t, { protected: true });
    let res = await t.request.delete(`/v2/images/${protectedImage.id}`).set(OWNER);
    assert.equal(res.status, 403);
    assert.equal(messageOf(res.body), `Image ${protectedImage.id} is protected and cannot be deleted.`);
    res = await t.request.delete(`/v2/images/${protectedImage.id}`).set(ADMIN);
    assert.equal(res.status, 403);
    const shared = await makeImage(t);
    await addMemberRow(t, shared, 'p-member', 'accepted');
    res = await t.request.delete(`/v2/images/${shared.id}`).set(MEMBER);
    assert.equal(res.status, 403);
    assert.equal(messageOf(res.body), 'You do not own this image');
    res = await t.request.delete(`/v2/images/${shared.id}`).set(OTHER);
    assert.equal(res.status, 404);
    assert.equal(messageOf(res.body), `Failed to find image ${shared.id} to delete`);
    res = await t.request.delete(`/v2/images/${shared.id}`).set(OWNER).send({ a: 1 });
    assert.equal(res.status, 400);
    assert.equal(messageOf(res.body), 'A body is not expected with this request.');
    assert.equal((await t.request.delete(`/v2/images/${shared.id}`).set(ADMIN)).status, 204);
  });
});
