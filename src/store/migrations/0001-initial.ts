import type { Knex } from 'knex';

/** Images, their properties and tags, image members, and the built-in identity's tokens. */
export async function up(knex: Knex): Promise<void> {
  await createImages(knex);
  await createImageAttributes(knex);
  await createImageMembers(knex);
  await createTokens(knex);
}

async function createImages(knex: Knex): Promise<void> {
  await knex.schema.createTable('images', (t) => {
    t.string('id', 36).primary();
    t.string('name', 255).nullable();
    t.string('status', 30).notNullable();
    t.string('visibility', 30).notNullable();
    t.string('owner', 255).nullable();
    t.boolean('protected').notNullable().defaultTo(false);
    t.boolean('os_hidden').notNullable().defaultTo(false);
    t.string('checksum', 32).nullable();
    t.string('os_hash_algo', 64).nullable();
    t.string('os_hash_value', 128).nullable();
    t.bigInteger('size').nullable();
    t.bigInteger('virtual_size').nullable();
    t.string('disk_format', 32).nullable();
    t.string('container_format', 32).nullable();
    t.integer('min_disk').notNullable().defaultTo(0);
    t.integer('min_ram').notNullable().defaultTo(0);
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    // Bumped at the start of every member write: taking this row's write lock serialises
    // concurrent member changes to one image on every engine (see member-store.ts).
    t.integer('member_write_seq').notNullable().defaultTo(0);
    t.index(['created_at', 'id'], 'images_created_at_id_idx');
    t.index(['owner'], 'images_owner_idx');
    t.index(['visibility'], 'images_visibility_idx');
  });
}

/** Extra properties and tags, each in the order first set. */
async function createImageAttributes(knex: Knex): Promise<void> {
  await knex.schema.createTable('image_properties', (t) => {
    t.string('image_id', 36).notNullable().references('id').inTable('images').onDelete('CASCADE');
    t.string('name', 255).notNullable();
    t.text('value').notNullable();
    // Glance lists extra properties in the order they were first set.
    t.integer('position').notNullable().defaultTo(0);
    t.primary(['image_id', 'name']);
  });
  await knex.schema.createTable('image_tags', (t) => {
    t.string('image_id', 36).notNullable().references('id').inTable('images').onDelete('CASCADE');
    t.string('value', 255).notNullable();
    t.integer('position').notNullable().defaultTo(0);
    t.primary(['image_id', 'value']);
  });
}

async function createImageMembers(knex: Knex): Promise<void> {
  await knex.schema.createTable('image_members', (t) => {
    t.string('image_id', 36).notNullable().references('id').inTable('images').onDelete('CASCADE');
    t.string('member_id', 255).notNullable();
    t.string('status', 20).notNullable().defaultTo('pending');
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    // Removal is a soft delete so that a re-add keeps the original created_at, as Glance does.
    t.boolean('deleted').notNullable().defaultTo(false);
    // Position within the image (first insertion order, which is how Glance lists members).
    t.integer('seq').notNullable();
    t.primary(['image_id', 'member_id']);
    t.index(['member_id', 'deleted', 'status'], 'image_members_member_idx');
  });
}

async function createTokens(knex: Knex): Promise<void> {
  await knex.schema.createTable('tokens', (t) => {
    t.string('token_hash', 64).primary();
    t.string('user_id', 255).notNullable();
    t.string('project_id', 255).notNullable();
    t.string('methods', 255).notNullable();
    t.string('audit_id', 64).notNullable();
    // The audit id of the token this one was re-issued from (Keystone's audit chain), if any.
    t.string('parent_audit_id', 64).nullable();
    t.string('issued_at', 32).notNullable();
    t.string('expires_at', 32).notNullable();
    t.index(['expires_at'], 'tokens_expires_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tokens');
  await knex.schema.dropTable('image_members');
  await knex.schema.dropTable('image_tags');
  await knex.schema.dropTable('image_properties');
  await knex.schema.dropTable('images');
}
