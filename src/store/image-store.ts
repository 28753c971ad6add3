/**
 * Images, their extra properties and tags. One round trip per read: properties and tags come
 * back as JSON aggregates next to the image row, and `findForCaller` adds whether the caller's
 * project holds a live member row, so that the visibility rule needs nothing else.
 */
import type { Knex } from 'knex';
import { ConflictError } from '../errors.ts';
import type { Image, ImageStatus, Visibility } from '../services/types.ts';
import { isSqlite, type Db } from './db.ts';
import { buildListQuery, type ImageListQuery } from './image-list-query.ts';
import { isUniqueViolation } from './sql-errors.ts';

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

/** An `images` row with its properties and tags as JSON aggregates (see imageColumnsSql). */
export interface ImageRow {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  owner: string | null;
  protected: boolean | number;
  os_hidden: boolean | number;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  size: number | string | null;
  virtual_size: number | string | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  created_at: string;
  updated_at: string;
  props_json: string | Record<string, string> | null;
  tags_json: string | string[] | null;
  is_member?: boolean | number | string | null;
}

const toNumber = (value: number | string | null): number | null => (value === null ? null : Number(value));
const parsed = <T>(value: string | T | null, empty: T): T => (value === null ? empty : typeof value === 'string' ? (JSON.parse(value) as T) : value);

export function toImage(row: ImageRow): Image {
  // A null prototype keeps a property named "__proto__" an ordinary key.
  const properties: Record<string, string> = Object.create(null) as Record<string, string>;
  Object.assign(properties, parsed<Record<string, string>>(row.props_json, {}));
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    visibility: row.visibility,
    owner: row.owner,
    protected: Boolean(row.protected),
    osHidden: Boolean(row.os_hidden),
    checksum: row.checksum,
    osHashAlgo: row.os_hash_algo,
    osHashValue: row.os_hash_value,
    size: toNumber(row.size),
    virtualSize: toNumber(row.virtual_size),
    diskFormat: row.disk_format,
    containerFormat: row.container_format,
    minDisk: row.min_disk,
    minRam: row.min_ram,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    properties,
    tags: parsed<string[]>(row.tags_json, []),
  };
}

function attributeColumns(image: Image): Record<string, unknown> {
  return {
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    owner: image.owner,
    protected: image.protected,
    os_hidden: image.osHidden,
    checksum: image.checksum,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    size: image.size,
    virtual_size: image.virtualSize,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    updated_at: image.updatedAt,
  };
}

const AGGREGATES = {
  sqlite: [
    '(select json_group_object(p.name, p.value order by p.position) from image_properties p where p.image_id = i.id) as props_json',
    '(select json_group_array(t.value order by t.position) from image_tags t where t.image_id = i.id) as tags_json',
  ],
  pg: [
    '(select json_object_agg(p.name, p.value order by p.position) from image_properties p where p.image_id = i.id) as props_json',
    '(select json_agg(t.value order by t.position) from image_tags t where t.image_id = i.id) as tags_json',
  ],
};

/** The columns `toImage` reads: keep in step with ImageRow. */
const IMAGE_COLUMNS = [
  'id', 'name', 'status', 'visibility', 'owner', 'protected', 'os_hidden', 'checksum', 'os_hash_algo', 'os_hash_value',
  'size', 'virtual_size', 'disk_format', 'container_format', 'min_disk', 'min_ram', 'created_at', 'updated_at',
] as const;

/**
 * The select list of an image read over `images as i` (the columns `toImage` maps, named one by
 * one, plus its properties and tags as JSON aggregates in their stored order), as SQL text for
 * stores that read an image within a query of their own. No `i.*`: a prepared statement keeps its
 * result columns, so one must not change when a later migration adds a column.
 */
export function imageColumnsSql(db: Knex): string {
  return [...IMAGE_COLUMNS.map((column) => `i.${column}`), ...AGGREGATES[isSqlite(db) ? 'sqlite' : 'pg']].join(', ');
}

/** The image columns plus its properties and tags as JSON aggregates, in their stored order. */
function imageSelect(db: Knex): Knex.QueryBuilder {
  return db('images as i').select('i.*', ...AGGREGATES[isSqlite(db) ? 'sqlite' : 'pg'].map((sql) => db.raw(sql)));
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

/** SQLite's "database is locked" (including a stale read snapshot in a deferred transaction). */
function isSqliteBusy(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 'SQLITE_BUSY';
}

const BUSY_ATTEMPTS = 20;

/**
 * Runs `work` in a transaction. SQLite transactions start deferred, so one that loses the race
 * for the write lock to another connection fails with SQLITE_BUSY instead of waiting (its read
 * snapshot is stale); nothing was written by then, so the whole transaction is simply retried.
 */
async function inNewTransaction<T>(db: Knex, work: (trx: Knex) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (attempt >= BUSY_ATTEMPTS || !isSqliteBusy(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
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
        await db('images').where({ id }).update({ updated_at: db.ref('updated_at') });
      }
      const query = imageSelect(reader)
        .select(reader.raw(
          'exists (select 1 from image_members m where m.image_id = i.id and m.member_id = ? and m.deleted = ?) as is_member',
          [projectId, false],
        ))
        .where('i.id', id);
      const row = (await query.first()) as ImageRow | undefined;
      if (row === undefined) return undefined;
      return { image: toImage(row), callerIsMember: row.is_member === true || Number(row.is_member) === 1 };
    },

    async insert(image) {
      try {
        await withTransaction(async (trx) => {
          await trx('images').insert({ id: image.id, created_at: image.createdAt, ...attributeColumns(image) });
          await writePropertiesAndTags(trx, image);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`Image ID ${image.id} already exists!`, { cause: error });
        throw error;
      }
    },

    update(image) {
      return withTransaction(async (trx) => {
        const count = await trx('images').where({ id: image.id }).update(attributeColumns(image));
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
      const count = await db('images').where({ id }).whereIn('status', [...from]).update(values);
      return count > 0;
    },

    async resetStaleUploads(staleBefore, updatedAt) {
      const stale = await db('images').where({ status: 'saving' }).andWhere('updated_at', '<', staleBefore).pluck('id') as string[];
      const reset: string[] = [];
      for (const id of stale) {
        const count = await db('images').where({ id, status: 'saving' }).andWhere('updated_at', '<', staleBefore).update({ status: 'queued', updated_at: updatedAt });
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
