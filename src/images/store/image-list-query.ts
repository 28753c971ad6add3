/**
 * The SQL behind `GET /v2/images`: the caller's scope (spec section 6.2), filters, sorting and
 * keyset pagination. The membership test is a correlated EXISTS on image_members (primary key
 * (image_id, member_id)), so the cost follows the page being read, not the number of images
 * shared with the caller; pages continue from the marker's sort values, never with OFFSET.
 */
import type { Knex } from 'knex';
import { IMAGE_FIELDS } from '../../base/image-attributes.ts';
import type { ImageFilter, ImageSort, ImageSortKey } from '../../base/image-query.ts';
import type { Image, MemberStatus } from '../../base/domain.ts';
import { isSqlite } from '../../store/db.ts';

/**
 * Which images a caller may list at all: `all` for admins; for a project, public and community
 * images, its own, and shared images where it has a live member row in `memberStatus`.
 */
export type ImageListScope = { kind: 'all' } | { kind: 'project'; projectId: string; memberStatus: MemberStatus | 'all' };

/** One page of `GET /v2/images`, as the service asks for it. */
export interface ImageListQuery {
  scope: ImageListScope;
  /** Keep only images with this visibility. */
  visibility?: string;
  /** Without a visibility filter, community images are kept only when owned by this project. */
  communityOnlyIfOwnedBy?: string;
  filters: ImageFilter[];
  /** Complete and unique: the service appends created_at and id. */
  sort: ImageSort[];
  /** The last image of the previous page. */
  marker?: Image;
  limit: number;
}

/** Nullable sort columns compare through a default, the same in ORDER BY and in the keyset. */
const NULL_SORT_DEFAULT: Partial<Record<ImageSortKey, string | number>> = { name: '', container_format: '', disk_format: '', size: -1 };

/** The marker image's value for a sort key: the Image field that holds the column. */
function markerValue(marker: Image, key: ImageSortKey): string | number | null {
  const field = IMAGE_FIELDS.get(key);
  if (field === undefined) throw new Error(`sort key ${key} is no Image field`);
  return marker[field] as string | number | null;
}

function sortExpression(db: Knex, key: ImageSortKey): Knex.Raw {
  const fallback = NULL_SORT_DEFAULT[key];
  return fallback === undefined ? db.raw('??', [`i.${key}`]) : db.raw('coalesce(??, ?)', [`i.${key}`, fallback]);
}

/**
 * The scope and visibility tests must not drive the query: SQLite would otherwise collect every
 * public, owned and shared image through those indexes and sort them all (a MULTI-INDEX OR plus a
 * temporary B-tree). Unary `+` (SQLite only) keeps them as row filters, so pages are read in sort
 * order from the (created_at, id) index and the scan stops at the limit.
 */
function rowFilterColumn(db: Knex, column: 'visibility' | 'owner'): string {
  return isSqlite(db) ? `+i.${column}` : `i.${column}`;
}

function applyScope(db: Knex, query: Knex.QueryBuilder, scope: ImageListScope): void {
  if (scope.kind === 'all') return;
  const visibility = rowFilterColumn(db, 'visibility');
  const owner = rowFilterColumn(db, 'owner');
  void query.where((visible) => {
    void visible
      .whereRaw(`${visibility} in ('public', 'community')`)
      .orWhereRaw(`${owner} = ?`, [scope.projectId])
      .orWhere((shared) => {
        void shared.whereRaw(`${visibility} = 'shared'`).whereExists((member) => {
          void member
            .select(db.raw('1'))
            .from('image_members as m')
            .whereRaw('m.image_id = i.id')
            .where('m.member_id', scope.projectId)
            .where('m.deleted', false);
          if (scope.memberStatus !== 'all') void member.where('m.status', scope.memberStatus);
          // PostgreSQL would otherwise turn this EXISTS into a hashed subplan that first reads every
          // membership of the caller (O(shares): ~50 ms for 100,000). OFFSET 0 keeps it a per-row
          // primary-key probe, paid only for the rows the page actually reads, as on SQLite.
          // (knex leaves out a numeric offset of 0; a raw one is written.)
          if (!isSqlite(db)) void member.offset(db.raw('0') as unknown as number);
        });
      });
  });
}

/**
 * The integer columns' ranges as [lowest, first value past the highest]: int4 exactly; int8
 * (±9.22e18) as ±9e18, because a double near ±2^63 is written out rounded past it.
 */
const INTEGER_RANGES: Partial<Record<string, readonly [number, number]>> = {
  min_disk: [-(2 ** 31), 2 ** 31],
  min_ram: [-(2 ** 31), 2 ** 31],
  size: [-9e18, 9e18],
  virtual_size: [-9e18, 9e18],
};

/**
 * A number outside the column's range compares the same way with every stored value: the filter
 * is then a constant (`all` rows whose column is not NULL, or `none`) on every engine, instead of
 * PostgreSQL's out-of-range error (a 500).
 */
function outOfRangeFilter(column: string, op: string, value: number): 'all' | 'none' | undefined {
  const range = INTEGER_RANGES[column];
  if (range === undefined || (value >= range[0] && value < range[1])) return undefined;
  if (op === 'eq') return 'none';
  if (op === 'neq') return 'all';
  const below = op === 'lt' || op === 'lte';
  return below === value > 0 ? 'all' : 'none';
}

function applyFilter(db: Knex, query: Knex.QueryBuilder, filter: ImageFilter): void {
  if ('tag' in filter) {
    void query.whereExists((tag) => {
      void tag.select(db.raw('1')).from('image_tags as t').whereRaw('t.image_id = i.id').where('t.value', filter.tag);
    });
  } else if ('property' in filter) {
    void query.whereExists((property) => {
      void property
        .select(db.raw('1'))
        .from('image_properties as p')
        .whereRaw('p.image_id = i.id')
        .where('p.name', filter.property)
        .where('p.value', filter.value);
    });
  } else if (filter.op === 'in') {
    void query.whereIn(`i.${filter.column}`, filter.values);
  } else if (filter.value === null) {
    // Only equality makes sense against NULL; Glance compares with SQL `=` and finds nothing.
    void query.whereRaw('1 = 0');
  } else {
    const constant = typeof filter.value === 'number' ? outOfRangeFilter(filter.column, filter.op, filter.value) : undefined;
    if (constant === 'none') void query.whereRaw('1 = 0');
    else if (constant === 'all') void query.whereNotNull(`i.${filter.column}`);
    else {
      const operator = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }[filter.op];
      void query.where(`i.${filter.column}`, operator, filter.value);
    }
  }
}

/** `(k1 > v1) or (k1 = v1 and k2 > v2) or …`, with each key's own direction. */
function applyKeyset(db: Knex, query: Knex.QueryBuilder, sort: ImageSort[], marker: Image): void {
  const values = sort.map(({ key }) => markerValue(marker, key) ?? NULL_SORT_DEFAULT[key] ?? null);
  // Implied by the chain below, but as a plain range it lets the index seek to the marker.
  const first = sort[0]!;
  void query.where(sortExpression(db, first.key), first.dir === 'asc' ? '>=' : '<=', values[0] as string | number);
  void query.where((after) => {
    sort.forEach(({ key, dir }, i) => {
      void after.orWhere((branch) => {
        for (let j = 0; j < i; j++) void branch.where(sortExpression(db, sort[j]!.key), '=', values[j] as string | number);
        void branch.where(sortExpression(db, key), dir === 'asc' ? '>' : '<', values[i] as string | number);
      });
    });
  });
}

/** Adds scope, filters, order, keyset and limit to `select` (a query over `images as i`). */
export function buildListQuery(db: Knex, select: Knex.QueryBuilder, spec: ImageListQuery): Knex.QueryBuilder {
  applyScope(db, select, spec.scope);
  const visibility = rowFilterColumn(db, 'visibility');
  if (spec.visibility !== undefined) {
    void select.whereRaw(`${visibility} = ?`, [spec.visibility]);
  } else if (spec.communityOnlyIfOwnedBy !== undefined) {
    const owner = spec.communityOnlyIfOwnedBy;
    void select.where(
      (community) => void community.whereRaw(`${rowFilterColumn(db, 'owner')} = ?`, [owner]).orWhereRaw(`${visibility} <> 'community'`),
    );
  }
  for (const filter of spec.filters) applyFilter(db, select, filter);
  if (spec.marker !== undefined) applyKeyset(db, select, spec.sort, spec.marker);
  for (const { key, dir } of spec.sort) {
    const fallback = NULL_SORT_DEFAULT[key];
    if (fallback === undefined) void select.orderBy(`i.${key}`, dir);
    else void select.orderByRaw(`coalesce(??, ?) ${dir}`, [`i.${key}`, fallback]);
  }
  return select.limit(spec.limit);
}
