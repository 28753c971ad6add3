/**
 * The vocabulary of image listing shared by the HTTP layer (which parses it from the query
 * string), the service (which adds the caller's scope) and the store (which turns it into SQL).
 * Types only; imports nothing internal.
 */

export type ImageSortKey = 'name' | 'status' | 'container_format' | 'disk_format' | 'size' | 'id' | 'created_at' | 'updated_at';
export const IMAGE_SORT_KEYS: readonly ImageSortKey[] = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
];

export interface ImageSort {
  key: ImageSortKey;
  dir: 'asc' | 'desc';
}

/** Image columns a list filter may compare. */
export type FilterColumn =
  | 'name'
  | 'id'
  | 'status'
  | 'container_format'
  | 'disk_format'
  | 'owner'
  | 'checksum'
  | 'os_hash_algo'
  | 'os_hash_value'
  | 'created_at'
  | 'updated_at'
  | 'size'
  | 'virtual_size'
  | 'min_disk'
  | 'min_ram'
  | 'protected'
  | 'os_hidden';

/** One list filter: a column comparison, an extra property's value, or a tag the image must carry. */
export type ImageFilter =
  | { column: FilterColumn; op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte'; value: string | number | boolean | null }
  | { column: FilterColumn; op: 'in'; values: string[] }
  | { property: string; value: string }
  | { tag: string };
