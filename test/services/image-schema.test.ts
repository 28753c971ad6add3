/**
 * Glance's image schema in the shared validator (src/base/validation.ts): registered from the very
 * document served as /v2/schemas/image, which is handed back unchanged for Glance's 400 texts,
 * checked as an object, with Ajv's strict mode still refusing unknown keywords elsewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createValidator, GLANCE_IMAGE_SCHEMA_ID } from '../../src/base/validation.ts';

const schemaDir = join(import.meta.dirname, '../../schemas');
const served = readFileSync(join(schemaDir, 'glance/image.json'), 'utf8');

test('the image schema is the served document, handed back unchanged', () => {
  const validator = createValidator(schemaDir);
  assert.equal(GLANCE_IMAGE_SCHEMA_ID, 'glance/image.json');
  // Same keys in the same order, annotations (name, links, is_base) included, and no $id or type added.
  assert.equal(JSON.stringify(validator.schema(GLANCE_IMAGE_SCHEMA_ID)), JSON.stringify(JSON.parse(served)));
  assert.throws(() => validator.check('image-create.json', {}), /unknown schema image-create\.json/);
});

test('documents are checked as an image object', () => {
  const validator = createValidator(schemaDir);
  assert.deepEqual(validator.check(GLANCE_IMAGE_SCHEMA_ID, { name: 'x', kernel_id: null, image_type: 'snapshot', tags: ['a'] }), []);
  assert.deepEqual(validator.check(GLANCE_IMAGE_SCHEMA_ID, ['not', 'an', 'object']), ['(root): must be object']);
  assert.deepEqual(validator.check(GLANCE_IMAGE_SCHEMA_ID, { min_ram: 'x' }), ['/min_ram: must be integer']);
  assert.deepEqual(validator.check(GLANCE_IMAGE_SCHEMA_ID, { image_type: 1 }), ['/image_type: must be string']);
});

test("Glance's annotations are the only unknown keywords strict mode lets through", () => {
  const dir = mkdtempSync(join(tmpdir(), 'glance-share-schemas-'));
  try {
    cpSync(join(schemaDir, 'glance'), join(dir, 'glance'), { recursive: true });
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ $id: 'plain.json', type: 'object' }));
    assert.deepEqual(createValidator(dir).check('plain.json', {}), []);
    writeFileSync(join(dir, 'odd.json'), JSON.stringify({ $id: 'odd.json', type: 'object', is_bse: false }));
    assert.throws(() => createValidator(dir), /unknown keyword: "is_bse"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
