import type { Knex } from 'knex';
import { isSqlite } from '../db.ts';

/**
 * PostgreSQL only: how many member rows an image has is heavily skewed (most shared images have
 * one or two members, a few have hundreds), and the planner's estimate from the column's distinct
 * count was about one row per image. With that estimate the primary key (image_id, member_id) and
 * the position index (image_id, seq) looked equally good for finding named members of an image,
 * and the planner took the smaller position index and filtered: the read of an add batch scanned
 * every row of the image, 13 ms for a 3,000-row image against 0.1 ms through the primary key
 * (bench/README.md). Declaring fewer distinct images (on average 20 rows each) makes the primary
 * key's two-column lookup the clear choice. SQLite's planner already prefers the index that
 * matches more columns.
 */
export async function up(knex: Knex): Promise<void> {
  if (isSqlite(knex)) return;
  await knex.raw('alter table image_members alter column image_id set (n_distinct = -0.05)');
  await knex.raw('analyze image_members');
}

export async function down(knex: Knex): Promise<void> {
  if (isSqlite(knex)) return;
  await knex.raw('alter table image_members alter column image_id reset (n_distinct)');
}
