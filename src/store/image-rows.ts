/**
 * The `images` table as stores read it: the row shape, the select list (image columns plus its
 * properties and tags as JSON aggregates, in their stored order) and the row ↔ Image mapping.
 * Shared by the image store and the member store, whose member reads carry the image in the same
 * query, so that neither feature reaches into the other's store.
 */
import type { Knex } from 'knex';
import type { Image } from '../base/domain.ts';
import { STORED_IMAGE_ATTRIBUTES, type ColumnKind, type ImageColumn, type StoredImageAttribute } from '../base/image-attributes.ts';
import { isSqlite } from './db.ts';

/**
 * A column's value as the drivers return it: SQLite gives booleans as 0/1, and PostgreSQL gives
 * bigint as a string (it may not fit a double); others come back as the Image holds them.
 */
type ColumnValue<A extends StoredImageAttribute> = A['column'] extends 'boolean'
  ? boolean | number
  : A['column'] extends 'bigint'
    ? Image[A['field']] | string
    : Image[A['field']];

/** The image columns of a row, one per stored attribute of the attribute table. */
export type ImageColumnRow = { [A in StoredImageAttribute as A['wire']]: ColumnValue<A> };

/** An `images` row with its properties and tags as JSON aggregates (see imageColumnsSql). */
export interface ImageRow extends ImageColumnRow {
  props_json: string | Record<string, string> | null;
  tags_json: string | string[] | null;
  is_member?: boolean | number | string | null;
}

const toNumber = (value: number | string | null): number | null => (value === null ? null : Number(value));
const parsed = <T>(value: string | T | null, empty: T): T =>
  value === null ? empty : typeof value === 'string' ? (JSON.parse(value) as T) : value;

/** Column value as the drivers return it → the Image field's value. */
const READ_COLUMN: Readonly<Record<ColumnKind, (value: unknown) => unknown>> = {
  text: (value) => value,
  timestamp: (value) => value,
  boolean: (value) => Boolean(value),
  integer: (value) => value,
  bigint: (value) => toNumber(value as number | string | null),
};

/** The columns `toImage` reads, in the `images` table's order. */
const IMAGE_COLUMNS: readonly ImageColumn[] = STORED_IMAGE_ATTRIBUTES.map((attribute) => attribute.wire);

/** Columns written on every save: all but the id and the creation time, which only an insert sets. */
const SAVED_ATTRIBUTES = STORED_IMAGE_ATTRIBUTES.filter((attribute) => attribute.wire !== 'id' && attribute.wire !== 'created_at');

/** A row read with imageColumnsSql or imageSelect → the Image. */
export function toImage(row: ImageRow): Image {
  const image: Record<string, unknown> = {};
  for (const { wire, field, column } of STORED_IMAGE_ATTRIBUTES) image[field] = READ_COLUMN[column](row[wire]);
  // A null prototype keeps a property named "__proto__" an ordinary key.
  const properties: Record<string, string> = Object.create(null) as Record<string, string>;
  Object.assign(properties, parsed<Record<string, string>>(row.props_json, {}));
  image['properties'] = properties;
  image['tags'] = parsed<string[]>(row.tags_json, []);
  return image as unknown as Image;
}

/** The column values an update writes (an insert adds `id` and `created_at`), in column order. */
export function imageColumnValues(image: Image): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const { wire, field } of SAVED_ATTRIBUTES) values[wire] = image[field];
  return values;
}

/** The column values of the Image fields `fields` holds (e.g. those an upload sets), in column order. */
export function columnValuesOf(fields: Partial<Image>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const { wire, field } of STORED_IMAGE_ATTRIBUTES) if (Object.hasOwn(fields, field)) values[wire] = fields[field];
  return values;
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
