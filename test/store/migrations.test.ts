/**
 * Every migration, up and down, on the engine the suite runs on (SQLite under `npm test`,
 * PostgreSQL under `npm run test:pg`): each step up one at a time with data in place, then each
 * step down to an empty schema, then up again to the latest. The data written after the first
 * migration survives every later one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDb, isSqlite, type Db } from '../../src/store/db.ts';
import { MIGRATION_NAMES, migrateDownOne, migrateLatest, migrateUpOne } from '../../src/store/migrate.ts';
import { engine } from '../helpers/build-app.ts';
import { createPgDatabase } from '../helpers/pg-database.ts';

const TABLES = ['images', 'image_properties', 'image_tags', 'image_members', 'tokens'];

async function tablesOf(db: Db): Promise<string[]> {
  const rows: Array<{ name: string }> = isSqlite(db)
    ? await db('sqlite_master').where({ type: 'table' }).select('name')
    : await db('pg_tables').where({ schemaname: 'public' }).select('tablename as name');
  return rows
    .map((row) => row.name)
    .filter((name) => TABLES.includes(name))
    .sort();
}

async function indexesOf(db: Db): Promise<string[]> {
  const rows: Array<{ name: string }> = isSqlite(db)
    ? await db('sqlite_master').where({ type: 'index' }).whereNot('name', 'like', 'sqlite_%').select('name')
    : await db('pg_indexes').where({ schemaname: 'public' }).whereNot('indexname', 'like', '%_pkey').select('indexname as name');
  return rows
    .map((row) => row.name)
    .filter((name) => !name.startsWith('knex_'))
    .sort();
}

async function appliedMigrations(db: Db): Promise<string[]> {
  return (await db('knex_migrations').orderBy('id').select('name')).map((row: { name: string }) => row.name);
}

describe(`migrations up and down (${engine})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'glance-share-migrations-'));
  let db: Db;
  let drop = async (): Promise<void> => {};

  before(async () => {
    if (engine === 'pg') {
      const database = await createPgDatabase(process.env['TEST_PG_URL']!, 'gs_migrations');
      drop = database.drop;
      db = createDb({ client: 'pg', url: database.url, filename: '', readers: 0 });
    } else {
      db = createDb({ client: 'sqlite3', filename: join(dir, 'db.sqlite'), readers: 0 });
    }
  });
  after(async () => {
    await db.destroy();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each migration goes up in order, keeping the rows written after the first', async () => {
    assert.ok(MIGRATION_NAMES.length >= 3, `migrations: ${MIGRATION_NAMES.join(', ')}`);
    await migrateUpOne(db);
    assert.deepEqual(await tablesOf(db), [...TABLES].sort());
    const at = '2026-12-08T00:00:00.000Z';
    await db('images').insert({ id: 'img-1', status: 'active', visibility: 'shared', owner: 'p-owner', created_at: at, updated_at: at });
    await db('image_members').insert({
      image_id: 'img-1',
      member_id: 'p-member',
      status: 'accepted',
      created_at: at,
      updated_at: at,
      seq: 1,
    });
    for (let i = 1; i < MIGRATION_NAMES.length; i++) await migrateUpOne(db);
    assert.deepEqual(await appliedMigrations(db), MIGRATION_NAMES);
    assert.ok((await indexesOf(db)).includes('image_members_image_seq_idx'));
    assert.ok(await db.schema.hasTable('batch_jobs'), 'migration 0004 creates the batch jobs table');
    const member = await db('image_members').where({ image_id: 'img-1' }).first();
    assert.equal(member.member_id, 'p-member');
    assert.equal(member.status, 'accepted');
  });

  it('each migration goes down in reverse order, to an empty schema', async () => {
    for (let i = MIGRATION_NAMES.length; i > 1; i--) {
      await migrateDownOne(db);
      assert.deepEqual(await appliedMigrations(db), MIGRATION_NAMES.slice(0, i - 1));
    }
    assert.ok(!(await indexesOf(db)).includes('image_members_image_seq_idx'), 'migration 0002 down drops its index');
    assert.ok(!(await db.schema.hasTable('batch_jobs')), 'migration 0004 down drops the batch jobs table');
    await migrateDownOne(db);
    assert.deepEqual(await tablesOf(db), []);
    assert.deepEqual(await appliedMigrations(db), []);
  });

  it('and up again to the latest', async () => {
    await migrateLatest(db);
    assert.deepEqual(await appliedMigrations(db), MIGRATION_NAMES);
    assert.deepEqual(await tablesOf(db), [...TABLES].sort());
    assert.equal(Number((await db('images').count({ n: '*' }))[0]!['n']), 0);
  });
});
