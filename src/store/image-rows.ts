/**
 * The `images` table as stores read it: the row shape, the select list (image columns plus its
 * properties and tags as JSON aggregates, in their stored order) and the row ↔ Image mapping.
 * Shared by the image store and the member store, whose member reads carry the image in the same
 * query, so that neither feature reaches into the other's store.
 */
import type { Knex } from 'knex';
import type { Image, ImageStatus, Visibility } from '../base/domain.ts';
import { isSqlite } from './db.ts';

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
const parsed = <T>(value: string | T | null, empty: T): T =>
  value === null ? empty : typeof value === 'string' ? (JSON.parse(value) as T) : value;

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

export function imageColumnValues(image: Image): Record<string, unknown> {
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
  'id',
  'name',
  'status',
  'visibility',
  'owner',
  'protected',
  'os_hidden',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
  'disk_format',
  'container_format',
  'min_disk',
  'min_ram',
  'created_at',
  'updated_at',
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
export function imageSelect(db: Knex): Knex.QueryBuilder {
  return db('images as i').select('i.*', ...AGGREGATES[isSqlite(db) ? 'sqlite' : 'pg'].map((sql) => db.raw(sql)));
}
