/**
 * Migrations come from a static list rather than a directory scan, so they work the same from
 * `src/` under tsx and from the compiled `dist/`.
 */
import type { Knex } from 'knex';
import type { Db } from './db.ts';
import * as initial from './migrations/0001-initial.ts';
import * as memberPositionIndex from './migrations/0002-member-position-index.ts';
import * as memberImageStatistics from './migrations/0003-member-image-statistics.ts';
import * as batchJobs from './migrations/0004-batch-jobs.ts';

const MIGRATIONS: ReadonlyArray<[string, Knex.Migration]> = [
  ['0001-initial', initial],
  ['0002-member-position-index', memberPositionIndex],
  ['0003-member-image-statistics', memberImageStatistics],
  ['0004-batch-jobs', batchJobs],
];

const source: Knex.MigrationSource<Knex.Migration> = {
  getMigrations: async () => MIGRATIONS.map(([, migration]) => migration),
  getMigrationName: (migration) => MIGRATIONS.find(([, m]) => m === migration)![0],
  getMigration: async (migration) => migration,
};

export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource: source });
}

export async function migrateRollbackAll(db: Db): Promise<void> {
  await db.migrate.rollback({ migrationSource: source }, true);
}

/** The migrations' names, in order. */
export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map(([name]) => name);

/** Runs the next pending migration up; for migration tests. */
export async function migrateUpOne(db: Db): Promise<void> {
  await db.migrate.up({ migrationSource: source });
}

/** Runs the last applied migration down; for migration tests. */
export async function migrateDownOne(db: Db): Promise<void> {
  await db.migrate.down({ migrationSource: source });
}
