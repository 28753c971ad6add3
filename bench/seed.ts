/**
 * The benchmark's data, written straight into the database with bulk statements (never through
 * HTTP): one image with 128 members for the member reads and status flips, empty images for the
 * adds (a fresh one per measured run), and `sharedImages` images shared with the listing project,
 * every `sparseEvery`-th of which is also shared with the second listing project — so one project
 * lists among 100,000 shares, the other among 1,000 interleaved with them.
 */
import { createDb, isSqlite, type Db } from '../src/store/db.ts';
import { migrateLatest } from '../src/store/migrate.ts';
import { createPgDatabase } from '../test/helpers/pg-database.ts';

export const MEMBERS_IMAGE = '11111111-1111-4111-8111-000000000001';
export const addImageId = (k: number): string => `aaaaaaaa-aaaa-4aaa-8aaa-${String(k).padStart(12, '0')}`;
const SHARED_PREFIX = '22222222-2222-4222-8222-';

export interface BenchProjects {
  /** Owns the members image and the add images. */
  owner: string;
  /** A member of the members image (its status is flipped) and of every shared image. */
  member: string;
  /** A member of every `sparseEvery`-th shared image. */
  sparse: string;
}

export interface SeedOptions {
  sharedImages: number;
  sparseEvery: number;
  addImages: number;
}

/** 127 members besides `projects.member`, which is the first: 128 in all. */
export const otherMembers = (): string[] => Array.from({ length: 127 }, (_, i) => `bench-member-${String(i + 1).padStart(3, '0')}`);

function imageRow(id: string, owner: string, name: string, at: string): Record<string, unknown> {
  return {
    id,
    name,
    status: 'active',
    visibility: 'shared',
    owner,
    protected: false,
    os_hidden: false,
    disk_format: 'raw',
    container_format: 'bare',
    min_disk: 0,
    min_ram: 0,
    created_at: at,
    updated_at: at,
    member_write_seq: 0,
  };
}

/** Migrates `db` and writes the data set; returns how long the writing took (ms). */
export async function seed(db: Db, projects: BenchProjects, options: SeedOptions): Promise<number> {
  await migrateLatest(db);
  const started = Date.now();
  const at = '2026-01-01T00:00:00.000Z';
  await db.transaction(async (trx) => {
    await trx('images').insert(imageRow(MEMBERS_IMAGE, projects.owner, 'bench-members', at));
    const members = [projects.member, ...otherMembers()].map((memberId, i) => ({
      image_id: MEMBERS_IMAGE,
      member_id: memberId,
      status: 'pending',
      created_at: at,
      updated_at: at,
      deleted: false,
      seq: i + 1,
    }));
    await trx.batchInsert('image_members', members, 100);
    const adds = Array.from({ length: options.addImages }, (_, k) => imageRow(addImageId(k + 1), projects.owner, `bench-add-${k + 1}`, at));
    await trx.batchInsert('images', adds, 50);

    // The shared images, one second apart, generated inside the database.
    const n = options.sharedImages;
    if (isSqlite(trx)) {
      await trx.raw(`
        insert into images (id, name, status, visibility, owner, protected, os_hidden, disk_format, container_format,
                            min_disk, min_ram, created_at, updated_at, member_write_seq)
        with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ${n})
        select '${SHARED_PREFIX}' || printf('%012d', n), 'shared-' || n, 'active', 'shared', 'bench-publisher', 0, 0, 'raw', 'bare',
               0, 0, strftime('%Y-%m-%dT%H:%M:%fZ', '2025-01-01 00:00:00', '+' || n || ' seconds'),
               strftime('%Y-%m-%dT%H:%M:%fZ', '2025-01-01 00:00:00', '+' || n || ' seconds'), 0
        from seq`);
    } else {
      await trx.raw(`
        insert into images (id, name, status, visibility, owner, protected, os_hidden, disk_format, container_format,
                            min_disk, min_ram, created_at, updated_at, member_write_seq)
        select '${SHARED_PREFIX}' || lpad(n::text, 12, '0'), 'shared-' || n, 'active', 'shared', 'bench-publisher', false, false,
               'raw', 'bare', 0, 0,
               to_char(timestamp '2025-01-01 00:00:00' + n * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(timestamp '2025-01-01 00:00:00' + n * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 0
        from generate_series(1, ${n}) as n`);
    }
    await trx.raw(
      `
      insert into image_members (image_id, member_id, status, created_at, updated_at, deleted, seq)
      select id, ?, 'accepted', created_at, created_at, ?, 1 from images where id like '${SHARED_PREFIX}%'`,
      [projects.member, false],
    );
    await trx.raw(
      `
      insert into image_members (image_id, member_id, status, created_at, updated_at, deleted, seq)
      select id, ?, 'accepted', created_at, created_at, ?, 2 from images
      where id like '${SHARED_PREFIX}%' and cast(substr(id, 25) as integer) % ${options.sparseEvery} = 0`,
      [projects.sparse, false],
    );
  });
  // PostgreSQL's autovacuum would gather statistics soon after such a load; SQLite never does by
  // itself, and glance-share does not run ANALYZE, so SQLite is left as production would have it.
  if (!isSqlite(db)) await db.raw('analyze');
  return Date.now() - started;
}

/** A fresh PostgreSQL database on the server at `serverUrl`; `drop()` removes it. */
export const createBenchPgDatabase = (serverUrl: string) => createPgDatabase(serverUrl, 'gs_bench');

export { createDb };
