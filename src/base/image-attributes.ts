/**
 * Glance's image attributes, once: one table row per name that Glance's image API gives a meaning
 * to, saying what it is (its Image field, its `images` column, its place in Glance's view, how the
 * list filters on it) and how requests treat it (a create body, a PATCH). Every list the request
 * parsers, the service, the views and the stores need is derived from this table, so that a fact
 * about an attribute is stated in one place. Imports nothing internal but the domain types.
 */
import type { Image } from './domain.ts';

/** The kind of value an `images` column holds, as the database drivers return it. */
export type ColumnKind = 'text' | 'timestamp' | 'boolean' | 'integer' | 'bigint';

/**
 * How `GET /v2/images` filters on an attribute: `operator` with Glance's `eq:`/`in:` syntax,
 * `text` by equality, `number` by equality and `<name>_min`/`<name>_max` ranges, `time` by an
 * ISO 8601 time with a comparison operator, `boolean` by `true`/`false`.
 */
export type FilterKind = 'operator' | 'text' | 'number' | 'time' | 'boolean';

/**
 * How a create body (`POST /v2/images`) treats an attribute:
 * - `writable`: taken into the new image;
 * - `read-only`: refused ("is read-only") by Glance's image factory, after the policy checks;
 * - `ignored`: accepted and dropped, as Glance does;
 * - `disallowed`: refused ("is read-only") before anything else, schema check included;
 * - `reserved`: refused ("is reserved") when read as an extra property;
 * - `invisible`: `locations`, which this service (like Glance with show_multiple_locations off)
 *   does not expose: the image factory refuses it as reserved, after its read-only check;
 * - `property`: an extra property.
 */
export type CreateTreatment = 'writable' | 'read-only' | 'ignored' | 'disallowed' | 'reserved' | 'invisible' | 'property';

/**
 * How a PATCH (`PATCH /v2/images/{id}`) treats an attribute named as the root of a change path:
 * `writable` base attributes are set on the image; `read-only` and `reserved` ones are refused
 * by the deserializer; `invisible` (`locations`) is schema-checked, then refused by the service;
 * `property` names an extra property.
 */
export type PatchTreatment = 'writable' | 'read-only' | 'reserved' | 'invisible' | 'property';

/** One row of the table. Absent optional facts mean "no" (no field, no column, not shown…). */
export interface ImageAttribute {
  /** The name on the wire: in bodies, views, PATCH paths and list filters. */
  readonly wire: string;
  /** The Image field that holds it. */
  readonly field?: keyof Image;
  /** Stored in the `images` column of the same name (rows are in the table's column order). */
  readonly column?: ColumnKind;
  /** null is a valid value: the image schema's type includes "null". */
  readonly nullable?: true;
  /** Its position (from 1) in Glance's image representation (`_format_image`). */
  readonly view?: number;
  /** How the list filters on it, when it is an image column a list filter compares. */
  readonly filter?: FilterKind;
  readonly create: CreateTreatment;
  /**
   * Its position (from 1) in the read-only list of Glance's image factory, which reports the first
   * read-only attribute a create body carries in this order (`ignored` ones never reach it).
   */
  readonly factoryOrder?: number;
  readonly patch: PatchTreatment;
  /** false: a PATCH `remove` of it is refused ("may not be removed"), as for Glance's base attributes. */
  readonly removable?: false;
}

/**
 * The table. Rows with a column come first, in the `images` table's column order (the order of
 * the select list and of written values); the others follow, `disallowed` ones in the order Glance
 * checks them. Line one of a row says what the attribute is, line two how requests treat it.
 */
// prettier-ignore
export const IMAGE_ATTRIBUTES = [
  { wire: 'id',               field: 'id',              column: 'text',      view: 16, filter: 'operator',
    create: 'writable',                    patch: 'read-only' },
  { wire: 'name',             field: 'name',            column: 'text',      view: 1,  filter: 'operator', nullable: true,
    create: 'writable',                    patch: 'writable',  removable: false },
  { wire: 'status',           field: 'status',          column: 'text',      view: 7,  filter: 'operator',
    create: 'read-only', factoryOrder: 3,  patch: 'read-only', removable: false },
  { wire: 'visibility',       field: 'visibility',      column: 'text',      view: 4,
    create: 'writable',                    patch: 'writable',  removable: false },
  { wire: 'owner',            field: 'owner',           column: 'text',      view: 12, filter: 'text',     nullable: true,
    create: 'writable',                    patch: 'writable',  removable: false },
  { wire: 'protected',        field: 'protected',       column: 'boolean',   view: 9,  filter: 'boolean',
    create: 'writable',                    patch: 'writable',  removable: false },
  { wire: 'os_hidden',        field: 'osHidden',        column: 'boolean',   view: 13, filter: 'boolean',
    create: 'writable',                    patch: 'writable',  removable: false },
  { wire: 'checksum',         field: 'checksum',        column: 'text',      view: 8,  filter: 'text',     nullable: true,
    create: 'read-only', factoryOrder: 4,  patch: 'read-only', removable: false },
  { wire: 'os_hash_algo',     field: 'osHashAlgo',      column: 'text',      view: 14, filter: 'text',     nullable: true,
    create: 'ignored',   factoryOrder: 5,  patch: 'read-only' },
  { wire: 'os_hash_value',    field: 'osHashValue',     column: 'text',      view: 15, filter: 'text',     nullable: true,
    create: 'ignored',   factoryOrder: 6,  patch: 'read-only' },
  { wire: 'size',             field: 'size',            column: 'bigint',    view: 5,  filter: 'number',   nullable: true,
    create: 'read-only', factoryOrder: 7,  patch: 'read-only', removable: false },
  { wire: 'virtual_size',     field: 'virtualSize',     column: 'bigint',    view: 6,  filter: 'number',   nullable: true,
    create: 'read-only', factoryOrder: 8,  patch: 'read-only', removable: false },
  { wire: 'disk_format',      field: 'diskFormat',      column: 'text',      view: 2,  filter: 'operator', nullable: true,
    create: 'writable',                    patch: 'writable',  removable: false },
  { wire: 'container_format', field: 'containerFormat', column: 'text',      view: 3,  filter: 'operator', nullable: true,
    create: 'writable',                    patch: 'writable',  removable: false },
  { wire: 'min_disk',         field: 'minDisk',         column: 'integer',   view: 11, filter: 'number',
    create: 'writable',                    patch: 'writable',  removable: false },
  { wire: 'min_ram',          field: 'minRam',          column: 'integer',   view: 10, filter: 'number',
    create: 'writable',                    patch: 'writable',  removable: false },
  { wire: 'created_at',       field: 'createdAt',       column: 'timestamp', view: 17, filter: 'time',
    create: 'read-only', factoryOrder: 1,  patch: 'read-only', removable: false },
  { wire: 'updated_at',       field: 'updatedAt',       column: 'timestamp', view: 18, filter: 'time',
    create: 'read-only', factoryOrder: 2,  patch: 'read-only', removable: false },
  { wire: 'tags',             field: 'tags',                                 view: 19,
    create: 'writable',                    patch: 'writable',  removable: false },
  { wire: 'locations',
    create: 'invisible',                   patch: 'invisible', removable: false },
  { wire: 'direct_url',
    create: 'disallowed',                  patch: 'read-only' },
  { wire: 'self',                                                            view: 20,
    create: 'disallowed',                  patch: 'read-only' },
  { wire: 'file',                                                            view: 21,
    create: 'disallowed',                  patch: 'read-only' },
  { wire: 'schema',                                                          view: 22,
    create: 'disallowed',                  patch: 'read-only' },
  { wire: 'stores',
    create: 'disallowed',                  patch: 'property' },
  { wire: 'location',
    create: 'reserved',                    patch: 'reserved' },
  { wire: 'deleted',
    create: 'reserved',                    patch: 'reserved' },
  { wire: 'deleted_at',
    create: 'reserved',                    patch: 'reserved' },
  { wire: 'kernel_id',                                                                                 nullable: true,
    create: 'property',                    patch: 'property' },
  { wire: 'ramdisk_id',                                                                                nullable: true,
    create: 'property',                    patch: 'property' },
] as const satisfies readonly ImageAttribute[];

/** A row of the table with its literal types (which column, which field). */
export type ImageAttributeRow = (typeof IMAGE_ATTRIBUTES)[number];
/** The rows stored in an `images` column. */
export type StoredImageAttribute = Extract<ImageAttributeRow, { column: ColumnKind }>;
/** The name of an `images` column that holds an attribute (the attribute's wire name). */
export type ImageColumn = StoredImageAttribute['wire'];

const ATTRIBUTES_BY_WIRE: ReadonlyMap<string, ImageAttributeRow> = new Map(IMAGE_ATTRIBUTES.map((row) => [row.wire, row]));

/** The row for a wire name; undefined for any other name (an extra property). */
export function imageAttribute(wire: string): ImageAttributeRow | undefined {
  return ATTRIBUTES_BY_WIRE.get(wire);
}

/** Wire names of the rows `where` selects, in table order. */
export function imageAttributeNames(where: (attribute: ImageAttribute) => boolean): string[] {
  return IMAGE_ATTRIBUTES.filter((row: ImageAttribute) => where(row)).map((row) => row.wire);
}

const namesWhere = (where: (attribute: ImageAttribute) => boolean): ReadonlySet<string> => new Set(imageAttributeNames(where));
const byPosition = (position: (attribute: ImageAttribute) => number | undefined): ImageAttribute[] =>
  IMAGE_ATTRIBUTES.filter((row: ImageAttribute) => position(row) !== undefined).sort((a, b) => position(a)! - position(b)!);

// ------------------------------------------------------------------ storage and representation

/** Rows stored in an `images` column, in column order. */
export const STORED_IMAGE_ATTRIBUTES: readonly StoredImageAttribute[] = IMAGE_ATTRIBUTES.filter(
  (row): row is StoredImageAttribute => 'column' in row,
);

/** Wire name → Image field, for the attributes an Image holds. */
export const IMAGE_FIELDS: ReadonlyMap<string, keyof Image> = new Map(
  IMAGE_ATTRIBUTES.flatMap((row: ImageAttribute) => (row.field === undefined ? [] : [[row.wire, row.field] as const])),
);

/** The base attributes of Glance's image representation, in its order (after the extra properties). */
export const IMAGE_VIEW_ATTRIBUTES: readonly ImageAttribute[] = byPosition((row) => row.view);

/** Image columns a list filter compares, by how it compares them. */
export const FILTER_COLUMNS: Readonly<Record<FilterKind, ReadonlySet<string>>> = {
  operator: namesWhere((row) => row.filter === 'operator'),
  text: namesWhere((row) => row.filter === 'text'),
  number: namesWhere((row) => row.filter === 'number'),
  time: namesWhere((row) => row.filter === 'time'),
  boolean: namesWhere((row) => row.filter === 'boolean'),
};

// ------------------------------------------------------------------ create bodies

/** Refused in a create body before anything else, the first present in this order. */
export const CREATE_DISALLOWED: readonly string[] = imageAttributeNames((row) => row.create === 'disallowed');
/** The image factory's read-only list, in the order it reports them. */
export const CREATE_READ_ONLY_ORDER: readonly string[] = byPosition((row) => row.factoryOrder).map((row) => row.wire);
/** Extra properties the image schema declares as nullable: null means "not set". */
export const NULLABLE_PROPERTIES: ReadonlySet<string> = namesWhere((row) => row.create === 'property' && row.nullable === true);

// ------------------------------------------------------------------ both, and PATCH documents

/** Reserved names (beside the `os_glance` namespace), refused in a create body and in a PATCH. */
export const RESERVED_ATTRIBUTES: ReadonlySet<string> = namesWhere((row) => row.create === 'reserved');
/** Refused as the root of a PATCH change path ("is read-only"): Glance's `_readonly_properties`. */
export const PATCH_READ_ONLY: ReadonlySet<string> = namesWhere((row) => row.patch === 'read-only');
/** Names a PATCH treats as base attributes: every other name is an extra property. */
export const PATCH_BASE_ATTRIBUTES: ReadonlySet<string> = namesWhere((row) => row.patch === 'writable' || row.patch === 'invisible');
/** Base attributes a PATCH sets on the image. */
export const PATCH_WRITABLE: ReadonlySet<string> = namesWhere((row) => row.patch === 'writable');
/** Attributes a PATCH may not remove. */
export const NOT_REMOVABLE: ReadonlySet<string> = namesWhere((row) => row.removable === false);
