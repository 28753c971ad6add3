/**
 * Images, their extra properties and tags. One round trip per read: properties and tags come
 * back as JSON aggregates next to the image row, and `findForCaller` adds whether the caller's
 * project holds a live member row, so that the visibility rule needs nothing else.
 */
import type { Knex } from 'knex';
import { ConflictError } from '../../base/errors.ts';
import type { Image, ImageStatus } from '../../base/domain.ts';
import type { Db } from '../../store/db.ts';
import { buildListQuery, type ImageListQuery } from './image-list-query.ts';
import { isUniqueViolation } from '../../store/sql-errors.ts';
import { imageColumnValues, imageSelect, toImage, type ImageRow } from '../../store/image-rows.ts';
import { inNewTransaction } from '../../store/transactions.ts';

export type { ImageListQuery, ImageListScope } from './image-list-query.ts';

/** The image together with what the visibility rule needs to know about the caller. */
export interface ImageForCaller {
  image: Image;
  /** The caller's project has a live member row on the image (any status). */
  callerIsMember: boolean;
}

/** Fields set when an upload finishes. */
export type ImageDataFields = Pick<Image, 'size' | 'virtualSize' | 'checksum' | 'osHashAlgo' | 'osHashValue'>;

export interface ImageStore {
  findById(id: string): Promise<Image | undefined>;
  findForCaller(id: string, projectId: string): Promise<ImageForCaller | undefined>;
  /** Throws ConflictError when the id is taken. */
  insert(image: Image): Promise<void>;
  /** Writes every mutable attribute, the properties and the tags. False when the image is gone. */
  update(image: Image): Promise<boolean>;
  /**
   * Moves the image to `to` only if its status is one of `from` (compare-and-set), optionally
   * setting the data fields. False when the image is gone or was in another status.
   */
  transition(id: string, from: readonly ImageStatus[], to: ImageStatus, updatedAt: string, data?: ImageDataFields): Promise<boolean>;
  /**
   * Puts every image that has been in `saving` since before `staleBefore` (by `updated_at`) back
   * to `queued`, each with a compare-and-set on both, and returns their ids.
   */
  resetStaleUploads(staleBefore: string, updatedAt: string): Promise<string[]>;
  /** Ids of the images in this status (for the few statuses that stay small, like `saving`). */
  listIdsInStatus(status: ImageStatus): Promise<string[]>;
  /** Deletes the image with its member rows, properties and tags in one transaction. */
  delete(id: string): Promise<boolean>;
  list(query: ImageListQuery): Promise<Image[]>;
  /** Runs `work` in one transaction with a store bound to it, in which `findForCaller` locks the image first. */
  transaction<T>(work: (store: ImageStore) => Promise<T>): Promise<T>;
}

async function writePropertiesAndTags(trx: Knex, image: Image): Promise<void> {
  await trx('image_properties').where({ image_id: image.id }).delete();
  await trx('image_tags').where({ image_id: image.id }).delete();
  const properties = Object.entries(image.properties).map(([name, value], position) => ({ image_id: image.id, name, value, position }));
  const tags = image.tags.map((value, position) => ({ image_id: image.id, value, position }));
  // Chunked so that SQLite's bound-parameter limit is never reached.
  for (let i = 0; i < properties.length; i += 100) await trx('image_properties').insert(properties.slice(i, i + 100));
  for (let i = 0; i < tags.length; i += 100) await trx('image_tags').insert(tags.slice(i, i + 100));
}

/**
 * `reads` serves the reads made outside a transaction (see db.ts `createReadDb`); writes and
 * everything inside a transaction use `db`.
 */
export function createImageStore(db: Db, reads: Db = db): ImageStore {
  const inTransaction = db.isTransaction === true;
  // Inside a transaction everything reads its own writes.
  const reader = inTransaction ? db : reads;
  const withTransaction = <T>(work: (trx: Knex) => Promise<T>): Promise<T> => (inTransaction ? work(db) : inNewTransaction(db, work));

  const store: ImageStore = {
    async findById(id) {
      const row = (await imageSelect(reader).where('i.id', id).first()) as ImageRow | undefined;
      return row === undefined ? undefined : toImage(row);
    },

    async findForCaller(id, projectId) {
      if (inTransaction) {
        // Write before reading: this takes the row lock on PostgreSQL and the write lock on
        // SQLite up front, so a read-modify-write cannot interleave with another writer (nor
        // fail upgrading a SQLite read snapshot another connection has since changed).
        await db('images')
          .where({ id })
          .update({ updated_at: db.ref('updated_at') });
      }
      const query = imageSelect(reader)
        .select(
          reader.raw('exists (select 1 from image_members m where m.image_id = i.id and m.member_id = ? and m.deleted = ?) as is_member', [
            projectId,
            false,
          ]),
        )
        .where('i.id', id);
      const row = (await query.first()) as ImageRow | undefined;
      if (row === undefined) return undefined;
      return { image: toImage(row), callerIsMember: row.is_member === true || Number(row.is_member) === 1 };
    },

    async insert(image) {
      try {
        await withTransaction(async (trx) => {
          await trx('images').insert({ id: image.id, created_at: image.createdAt, ...imageColumnValues(image) });
          await writePropertiesAndTags(trx, image);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`Image ID ${image.id} already exists!`, { cause: error });
        throw error;
      }
    },

    update(image) {
      return withTransaction(async (trx) => {
        const count = await trx('images').where({ id: image.id }).update(imageColumnValues(image));
        if (count === 0) return false;
        await writePropertiesAndTags(trx, image);
        return true;
      });
    },

    async transition(id, from, to, updatedAt, data) {
      const values: Record<string, unknown> = { status: to, updated_at: updatedAt };
      if (data !== undefined) {
        Object.assign(values, {
          size: data.size,
          virtual_size: data.virtualSize,
          checksum: data.checksum,
          os_hash_algo: data.osHashAlgo,
          os_hash_value: data.osHashValue,
        });
      }
      const count = await db('images')
        .where({ id })
        .whereIn('status', [...from])
        .update(values);
      return count > 0;
    },

    async resetStaleUploads(staleBefore, updatedAt) {
      const stale = (await db('images').where({ status: 'saving' }).andWhere('updated_at', '<', staleBefore).pluck('id')) as string[];
      const reset: string[] = [];
      for (const id of stale) {
        const count = await db('images')
          .where({ id, status: 'saving' })
          .andWhere('updated_at', '<', staleBefore)
          .update({ status: 'queued', updated_at: updatedAt });
        if (count > 0) reset.push(id);
      }
      return reset;
    },

    async listIdsInStatus(status) {
      return db('images').where({ status }).pluck('id') as Promise<string[]>;
    },

    delete(id) {
      // Explicit deletes rather than relying on ON DELETE CASCADE alone, so that member rows go
      // with the image even on a connection where SQLite's foreign keys are off.
      return withTransaction(async (trx) => {
        await trx('image_members').where({ image_id: id }).delete();
        await trx('image_properties').where({ image_id: id }).delete();
        await trx('image_tags').where({ image_id: id }).delete();
        return (await trx('images').where({ id }).delete()) > 0;
      });
    },

    async list(query) {
      const rows = (await buildListQuery(reader, imageSelect(reader), query)) as ImageRow[];
      return rows.map(toImage);
    },

    transaction(work) {
      return withTransaction((trx) => work(createImageStore(trx)));
    },
  };
  return store;
}
