/**
 * The image attribute table (src/base/image-attributes.ts) and what is derived from it: every list
 * the request parsers, the service, the views and the stores used to spell out by hand is pinned
 * here to its hand-written value, so that deriving them changed nothing. Order is pinned where it
 * is observable (the first name reported, key order on the wire, column order in SQL); sets are
 * compared by members. The table is also checked against the served image schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import knex from 'knex';
import type { Image } from '../../src/base/domain.ts';
import {
  CREATE_DISALLOWED,
  CREATE_READ_ONLY_ORDER,
  FILTER_COLUMNS,
  IMAGE_ATTRIBUTES,
  IMAGE_FIELDS,
  imageAttribute,
  imageAttributeNames,
  NOT_REMOVABLE,
  NULLABLE_PROPERTIES,
  PATCH_BASE_ATTRIBUTES,
  PATCH_READ_ONLY,
  PATCH_WRITABLE,
  RESERVED_ATTRIBUTES,
} from '../../src/base/image-attributes.ts';
import { IMAGE_SORT_KEYS } from '../../src/base/image-query.ts';
import { toImageView } from '../../src/images/http/image-views.ts';
import { imageColumnsSql, imageColumnValues, toImage, type ImageRow } from '../../src/store/image-rows.ts';

const asSet = (names: Iterable<string>): Set<string> => new Set(names);

/** The hand-written lists as they were before the table (image-request.ts, image-patch.ts, …). */
const BEFORE = {
  disallowed: ['direct_url', 'self', 'file', 'schema', 'stores'],
  readOnlyPatch: [
    ...['created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size', 'direct_url', 'self', 'file', 'schema', 'id'],
    ...['os_hash_algo', 'os_hash_value'],
  ],
  reserved: ['location', 'deleted', 'deleted_at'],
  requestBase: [
    ...['name', 'visibility', 'protected', 'os_hidden', 'min_disk', 'min_ram', 'disk_format', 'container_format', 'owner', 'tags'],
    'locations',
  ],
  readOnlyCreate: ['created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size'],
  ignoredCreate: ['os_hash_algo', 'os_hash_value'],
  nullableProperties: ['kernel_id', 'ramdisk_id'],
  patchBase: ['name', 'visibility', 'protected', 'os_hidden', 'min_disk', 'min_ram', 'disk_format', 'container_format', 'owner', 'tags'],
  notRemovableExtra: ['status', 'checksum', 'size', 'virtual_size', 'locations', 'created_at', 'updated_at'],
  readOnlyOrder: ['created_at', 'updated_at', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size'],
  operatorColumns: ['name', 'id', 'status', 'container_format', 'disk_format'],
  textColumns: ['owner', 'checksum', 'os_hash_algo', 'os_hash_value'],
  numberColumns: ['size', 'virtual_size', 'min_disk', 'min_ram'],
  imageColumns: [
    ...['id', 'name', 'status', 'visibility', 'owner', 'protected', 'os_hidden', 'checksum', 'os_hash_algo', 'os_hash_value'],
    ...['size', 'virtual_size', 'disk_format', 'container_format', 'min_disk', 'min_ram', 'created_at', 'updated_at'],
  ],
};

test('create-body lists: disallowed (in order), read-only, ignored, nullable properties', () => {
  assert.deepEqual(CREATE_DISALLOWED, BEFORE.disallowed);
  // parseCreateBody switches on the row's `create`: these are the names each case catches.
  assert.deepEqual(asSet(imageAttributeNames((a) => a.create === 'read-only')), asSet(BEFORE.readOnlyCreate));
  assert.deepEqual(asSet(imageAttributeNames((a) => a.create === 'ignored')), asSet(BEFORE.ignoredCreate));
  assert.deepEqual(
    imageAttributeNames((a) => a.create === 'invisible'),
    ['locations'],
  );
  assert.deepEqual(
    asSet(imageAttributeNames((a) => a.create === 'writable')),
    asSet(['id', ...BEFORE.patchBase]),
    'the names the old switch set on the request (tags and id included)',
  );
  assert.deepEqual(NULLABLE_PROPERTIES, asSet(BEFORE.nullableProperties));
});

test("the image factory's read-only order is the service's old READ_ONLY_ORDER", () => {
  assert.deepEqual(CREATE_READ_ONLY_ORDER, BEFORE.readOnlyOrder);
});

test('PATCH lists: read-only, reserved, base attributes, writable, not removable', () => {
  assert.deepEqual(PATCH_READ_ONLY, asSet(BEFORE.readOnlyPatch));
  assert.deepEqual(RESERVED_ATTRIBUTES, asSet(BEFORE.reserved));
  assert.deepEqual(asSet(imageAttributeNames((a) => a.patch === 'reserved')), RESERVED_ATTRIBUTES, 'reserved alike in both');
  assert.deepEqual(PATCH_BASE_ATTRIBUTES, asSet(BEFORE.requestBase));
  assert.deepEqual(PATCH_WRITABLE, asSet(BEFORE.patchBase));
  assert.deepEqual(NOT_REMOVABLE, asSet([...BEFORE.patchBase, ...BEFORE.notRemovableExtra]));
});

test('list filter columns, and the Image field behind each sort key', () => {
  assert.deepEqual(FILTER_COLUMNS.operator, asSet(BEFORE.operatorColumns));
  assert.deepEqual(FILTER_COLUMNS.text, asSet(BEFORE.textColumns));
  assert.deepEqual(FILTER_COLUMNS.number, asSet(BEFORE.numberColumns));
  assert.deepEqual(FILTER_COLUMNS.time, asSet(['created_at', 'updated_at']));
  assert.deepEqual(FILTER_COLUMNS.boolean, asSet(['protected', 'os_hidden']));
  assert.deepEqual(
    IMAGE_SORT_KEYS.map((key) => IMAGE_FIELDS.get(key)),
    ['name', 'status', 'containerFormat', 'diskFormat', 'size', 'id', 'createdAt', 'updatedAt'],
  );
});

const IMAGE: Image = {
  id: '3c7b6f0e-5f0a-4c55-9a3c-2a7d1c0b9e11',
  name: 'cirros',
  status: 'active',
  visibility: 'shared',
  owner: 'p-owner',
  protected: true,
  osHidden: false,
  checksum: 'c'.repeat(32),
  osHashAlgo: 'sha512',
  osHashValue: 'd'.repeat(128),
  size: 4096,
  virtualSize: null,
  diskFormat: 'raw',
  containerFormat: 'bare',
  minDisk: 1,
  minRam: 64,
  createdAt: '2024-05-06T07:08:09.123Z',
  updatedAt: '2024-05-06T07:08:10.456Z',
  properties: { image_type: 'snapshot', kernel_id: 'k' },
  tags: ['b', 'a'],
};

test("the view: extra properties, then Glance's base attributes in its order, then the links", () => {
  const view = toImageView(IMAGE);
  // The old literal, key for key and in order.
  const before = {
    image_type: 'snapshot',
    kernel_id: 'k',
    name: 'cirros',
    disk_format: 'raw',
    container_format: 'bare',
    visibility: 'shared',
    size: 4096,
    virtual_size: null,
    status: 'active',
    checksum: 'c'.repeat(32),
    protected: true,
    min_ram: 64,
    min_disk: 1,
    owner: 'p-owner',
    os_hidden: false,
    os_hash_algo: 'sha512',
    os_hash_value: 'd'.repeat(128),
    id: IMAGE.id,
    created_at: '2024-05-06T07:08:09Z',
    updated_at: '2024-05-06T07:08:10Z',
    tags: ['b', 'a'],
    self: `/v2/images/${IMAGE.id}`,
    file: `/v2/images/${IMAGE.id}/file`,
    schema: '/v2/schemas/image',
  };
  assert.deepEqual(Object.keys(view), Object.keys(before));
  assert.deepEqual({ ...view }, before);
  assert.equal(Object.getPrototypeOf(view), null);
});

test('the image columns: select list, written values, and row → Image', async () => {
  const db = knex({ client: 'sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  try {
    const select = imageColumnsSql(db).split(', ').slice(0, BEFORE.imageColumns.length);
    assert.deepEqual(
      select,
      BEFORE.imageColumns.map((column) => `i.${column}`),
    );
  } finally {
    await db.destroy();
  }
  const written = imageColumnValues(IMAGE);
  assert.deepEqual(
    Object.keys(written),
    BEFORE.imageColumns.filter((column) => column !== 'id' && column !== 'created_at'),
  );
  assert.equal(written['os_hidden'], false);
  assert.equal(written['virtual_size'], null);
  assert.equal(written['min_ram'], 64);

  // As the drivers return it: booleans as 0/1 (SQLite), bigint as text (PostgreSQL).
  const row: ImageRow = {
    ...{ id: IMAGE.id, name: 'cirros', status: 'active', visibility: 'shared', owner: 'p-owner', protected: 1, os_hidden: 0 },
    ...{ checksum: IMAGE.checksum, os_hash_algo: 'sha512', os_hash_value: IMAGE.osHashValue, size: '4096', virtual_size: null },
    ...{ disk_format: 'raw', container_format: 'bare', min_disk: 1, min_ram: 64, created_at: IMAGE.createdAt, updated_at: IMAGE.updatedAt },
    ...{ props_json: '{"image_type":"snapshot","kernel_id":"k"}', tags_json: ['b', 'a'] },
  };
  const image = toImage(row);
  assert.deepEqual({ ...image, properties: { ...image.properties } }, IMAGE);
  assert.deepEqual(Object.keys(image), Object.keys(IMAGE), 'the Image keys in their old order');
});

test('the table agrees with the served image schema (schemas/glance/image.json)', () => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../schemas/glance/image.json'), 'utf8')) as {
    properties: Record<string, { type?: string | string[]; readOnly?: boolean; is_base?: boolean }>;
  };
  for (const attribute of IMAGE_ATTRIBUTES) {
    const declared = schema.properties[attribute.wire];
    if (declared === undefined) continue;
    const types = ([] as string[]).concat(declared.type ?? []);
    assert.equal('nullable' in attribute, types.includes('null'), `${attribute.wire}: nullable as the schema's type says`);
    if (declared.readOnly === true) assert.equal(attribute.patch, 'read-only', `${attribute.wire} is read-only in the schema`);
    if (declared.is_base === false) assert.equal(attribute.create, 'property', `${attribute.wire} is no base attribute in the schema`);
  }
  for (const [name, declared] of Object.entries(schema.properties)) {
    if (declared.is_base !== false) assert.ok(imageAttribute(name) !== undefined, `the schema's base attribute ${name} has a row`);
  }
});
