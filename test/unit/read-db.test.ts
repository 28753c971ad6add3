/**
 * The SQLite read connections (store/db.ts `createReadDb`), on a real database file: they are
 * read-only, they see what the writer committed before they read, and PostgreSQL, in-memory
 * databases and `readers: 0` get the writer itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DatabaseConfig } from '../../src/base/config.ts';
import { createDb, createReadDb, type Db } from '../../src/store/db.ts';
import { migrateLatest } from '../../src/store/migrate.ts';

describe('SQLite read connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glance-share-readdb-'));
  const config: DatabaseConfig = { client: 'sqlite3', filename: join(dir, 'db.sqlite'), readers: 2 };
  let writer: Db;
  let reader: Db;

  before(async () => {
    writer = createDb(config);
    await migrateLatest(writer);
    reader = createReadDb(config, writer);
  });
  after(async () => {
    await reader.destroy();
    await writer.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are separate connections that refuse every write', async () => {
    assert.notEqual(reader, writer);
    await assert.rejects(
      reader('tokens').insert({
        token_hash: 'h',
        user_id: 'u',
        project_id: 'p',
        methods: 'password',
        audit_id: 'a',
        issued_at: 'x',
        expires_at: 'y',
      }),
      (error: { code?: string }) => error.code === 'SQLITE_READONLY',
    );
    assert.equal((await writer('tokens').count({ n: '*' }))[0]!['n'], 0);
  });

  it('see every write the writer committed before the read, while the writer holds an open transaction', async () => {
    for (let i = 0; i < 20; i += 1) {
      await writer('tokens').insert({
        token_hash: `h${i}`,
        user_id: 'u',
        project_id: 'p',
        methods: 'password',
        audit_id: `a${i}`,
        issued_at: 'x',
        expires_at: 'y',
      });
      const seen = await reader('tokens')
        .where({ token_hash: `h${i}` })
        .first();
      assert.equal(seen?.audit_id, `a${i}`);
    }
    // WAL: a reader is never blocked by a writer in the middle of a transaction, and sees its last commit.
    await writer.transaction(async (trx) => {
      await trx('tokens').insert({
        token_hash: 'uncommitted',
        user_id: 'u',
        project_id: 'p',
        methods: 'password',
        audit_id: 'u',
        issued_at: 'x',
        expires_at: 'y',
      });
      assert.equal(await reader('tokens').where({ token_hash: 'uncommitted' }).first(), undefined);
      assert.equal((await reader('tokens').count({ n: '*' }))[0]!['n'], 20);
    });
    assert.equal((await reader('tokens').count({ n: '*' }))[0]!['n'], 21);
  });

  it('are the writer itself on PostgreSQL, in memory, and with readers: 0', () => {
    const stand = writer;
    assert.equal(createReadDb({ ...config, readers: 0 }, stand), stand);
    assert.equal(createReadDb({ client: 'sqlite3', filename: ':memory:', readers: 2 }, stand), stand);
    assert.equal(createReadDb({ client: 'pg', filename: '', url: 'postgres://nowhere/db', readers: 2 }, stand), stand);
  });
});
