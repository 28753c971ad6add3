/**
 * The `image_members` table as the member store reads it: rows, the JSON tuples that aggregate
 * several rows into one column, and their mapping to members.
 */
import type { Member, MemberStatus } from '../../base/domain.ts';

export interface MemberRow {
  image_id: string;
  member_id: string;
  status: string;
  created_at: string;
  updated_at: string;
  deleted: boolean | number;
}

/** A row as stored: removal is a soft delete, so that a re-add keeps `created_at` and list position. */
export interface StoredMember extends Member {
  deleted: boolean;
}

/** The columns `toMember` reads, for `returning` clauses. */
export const MEMBER_COLUMNS = 'image_id, member_id, status, created_at, updated_at';

export function toMember(row: MemberRow): StoredMember {
  return {
    imageId: row.image_id,
    memberId: row.member_id,
    status: row.status as MemberStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deleted: Boolean(row.deleted),
  };
}

/** The member without the storage flag. */
export function live({ deleted: _deleted, ...member }: StoredMember): Member {
  return member;
}

/** `[member_id, status, created_at, updated_at]`: one row inside a JSON aggregate. */
export type MemberTuple = [memberId: string, status: string, createdAt: string, updatedAt: string];
/** A MemberTuple followed by the `deleted` flag. */
export type StoredMemberTuple = [memberId: string, status: string, createdAt: string, updatedAt: string, deleted: boolean | number];

/** A JSON aggregate column: text on SQLite, already parsed on PostgreSQL, null when it aggregated nothing. */
export function tuplesOf<T>(raw: string | T[] | null | undefined): T[] {
  if (raw === null || raw === undefined) return [];
  return typeof raw === 'string' ? (JSON.parse(raw) as T[]) : raw;
}

/** A member from nullable columns of a left join; undefined when the join found no row. */
export function memberFrom(
  imageId: string,
  memberId: string | null | undefined,
  status: string | null | undefined,
  createdAt: string | null | undefined,
  updatedAt: string | null | undefined,
): Member | undefined {
  if (memberId === null || memberId === undefined) return undefined;
  return { imageId, memberId, status: status as MemberStatus, createdAt: createdAt!, updatedAt: updatedAt! };
}
