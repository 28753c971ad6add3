/**
 * Images, their extra properties and tags. One round trip per read: properties and tags come
 * back as JSON aggregates next to the image row, and `findForCaller` adds whether the caller's
 * project holds a live member row, so that the visibility rule needs nothing else. A store bound
 * to a transaction takes the image lock (store/transactions.ts) before it reads the image.
 */
import type { Knex } from 'knex';
import { ConflictError } from '../../base/errors.ts';
import type { Image, ImageStatus } from '../../base/domain.ts';
import type { Db } from '../../store/db.ts';
import { buildListQuery, type ImageListQuery } from './image-list-query.ts';
import { isUniqueViolation } from '../../store/sql-errors.ts';
import { columnValuesOf, imageColumnValues, imageSelect, toImage, type ImageRow } from '../../store/image-rows.ts';
import { inNewTransaction, lockImage } from '../../store/transactions.ts';

// The list query is part of the store's contract.
export type { ImageListQuery, ImageListScope } from './image-list-query.ts';

/** The image together with what the visibility rule needs to know about the caller. */
export interface ImageForCaller {
  image: Image;
  /** The caller's project has a live member row on the image (any status). */
  callerIsMember: boolean;
}

/** Fields set when an upload finishes. */
export type ImageDataFields = Pick<Image, 'size' | 'virtualSize' | 'checksum' | 'osHashAlgo' | 'osHashValue'>;

/** Images, their extra properties and tags. */
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
  /** Runs `work` in one transaction with a store bound to it, in which `findForCaller` takes the image lock first. */
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

/** SQL for the caller's live member row, added to the image read by `findForCaller`. */
const IS_MEMBER_SQL = 'exists (select 1 from image_members m where m.image_id = i.id and m.member_id = ? and m.deleted = ?) as is_member';

/**
 * The image store over knex. `reads` serves the reads made outside a transaction (see db.ts
 * `createReadDb`); writes and everything inside a transaction use `db`, and inside a transaction
 * everything reads its own writes.
 */
export class KnexImageStore implements ImageStore {
  private readonly inTransaction: boolean;
  private readonly reader: Db;

  constructor(
    private readonly db: Db,
    reads: Db = db,
  ) {
    this.inTransaction = db.isTransaction === true;
    this.reader = this.inTransaction ? db : reads;
  }

  /** Runs `work` in this store's transaction, or in a new one when the store is not bound to one. */
  private withTransaction<T>(work: (trx: Knex) => Promise<T>): Promise<T> {
    return this.inTransaction ? work(this.db) : inNewTransaction(this.db, work);
  }

  async findById(id: string): Promise<Image | undefined> {
    const row = (await imageSelect(this.reader).where('i.id', id).first()) as ImageRow | undefined;
    return row === undefined ? undefined : toImage(row);
  }

  async findForCaller(id: string, projectId: string): Promise<ImageForCaller | undefined> {
    // In a transaction the image lock comes first: a read-modify-write then cannot interleave with
    // another writer (nor fail upgrading a SQLite read snapshot another connection has since changed).
    if (this.inTransaction) await lockImage(this.db, id);
    const query = imageSelect(this.reader)
      .select(this.reader.raw(IS_MEMBER_SQL, [projectId, false]))
      .where('i.id', id);
    const row = (await query.first()) as ImageRow | undefined;
    if (row === undefined) return undefined;
    return { image: toImage(row), callerIsMember: row.is_member === true || Number(row.is_member) === 1 };
  }

  async insert(image: Image): Promise<void> {
    try {
      await this.withTransaction(async (trx) => {
        await trx('images').insert({ id: image.id, created_at: image.createdAt, ...imageColumnValues(image) });
        await writePropertiesAndTags(trx, image);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`Image ID ${image.id} already exists!`, { cause: error });
      throw error;
    }
  }

  update(image: Image): Promise<boolean> {
    return this.withTransaction(async (trx) => {
      const count = await trx('images').where({ id: image.id }).update(imageColumnValues(image));
      if (count === 0) return false;
      await writePropertiesAndTags(trx, image);
      return true;
    });
  }

  async transition(id: string, from: readonly ImageStatus[], to: ImageStatus, updatedAt: string, data?: ImageDataFields): Promise<boolean> {
    const values: Record<string, unknown> = { status: to, updated_at: updatedAt };
    if (data !== undefined) Object.assign(values, columnValuesOf(data));
    const count = await this.db('images')
      .where({ id })
      .whereIn('status', [...from])
      .update(values);
    return count > 0;
  }

  async resetStaleUploads(staleBefore: string, updatedAt: string): Promise<string[]> {
    const { db } = this;
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
  }

  async listIdsInStatus(status: ImageStatus): Promise<string[]> {
    return this.db('images').where({ status }).pluck('id') as Promise<string[]>;
  }

  delete(id: string): Promise<boolean> {
    // Explicit deletes rather than relying on ON DELETE CASCADE alone, so that member rows go
    // with the image even on a connection where SQLite's foreign keys are off.
    return this.withTransaction(async (trx) => {
      await trx('image_members').where({ image_id: id }).delete();
      await trx('image_properties').where({ image_id: id }).delete();
      await trx('image_tags').where({ image_id: id }).delete();
      return (await trx('images').where({ id }).delete()) > 0;
    });
  }

  async list(query: ImageListQuery): Promise<Image[]> {
    const rows = (await buildListQuery(this.reader, imageSelect(this.reader), query)) as ImageRow[];
    return rows.map(toImage);
  }

  transaction<T>(work: (store: ImageStore) => Promise<T>): Promise<T> {
    return this.withTransaction((trx) => work(new KnexImageStore(trx)));
  }
}

/** The image store; `reads` serves the reads made outside a transaction (defaults to `db`). */
export function createImageStore(db: Db, reads: Db = db): ImageStore {
  return new KnexImageStore(db, reads);
}
