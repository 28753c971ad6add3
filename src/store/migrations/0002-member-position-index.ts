import type { Knex } from 'knex';

/**
 * An image's members by list position. An add takes the next position as `max(seq) + 1` under the
 * image lock, and a list reads the rows in `seq` order: without this index both read every row of
 * the image (the primary key only orders them by member id), so each add to an image with
 * thousands of rows, serialised by its lock, cost a scan of all of them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('image_members', (t) => {
    t.index(['image_id', 'seq'], 'image_members_image_seq_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('image_members', (t) => {
    t.dropIndex(['image_id', 'seq'], 'image_members_image_seq_idx');
  });
}
