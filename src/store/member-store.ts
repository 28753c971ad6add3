/**
 * Image member rows. Removal is a soft delete (`deleted = true`) so a re-add keeps the original
 * `created_at` and list position, as Glance does.
 *
 * Concurrency: every change that depends on other rows (the member limit, duplicates) runs in
 * `withImageLock`, whose first statement writes the image row. That takes PostgreSQL's row lock
 * and SQLite's write lock before anything is read, so concurrent adds to one image are serialised
 * on every engine and across instances; the (image_id, member_id) primary key is the last guard.
 */
import { ConflictError } from '../errors.ts';
import type { Member, MemberStatus } from '../services/types.ts';
import type { Db } from './db.ts';
import { isUniqueViolation } from './sql-errors.ts';

interface MemberRow {
  image_id: string;
  member_id: string;
  status: string;
  created_at: string;
  updated_at: string;
  deleted: boolean | number;
  seq: number;
}

export interface StoredMember extends Member {
  deleted: boolean;
}

/** Operations available while the image's member set is locked. */
export interface LockedMemberStore {
  countLive(imageId: string): Promise<number>;
  /** The row whether live or soft-deleted. */
  findAny(imageId: string, memberId: string): Promise<StoredMember | undefined>;
  insert(member: Member): Promise<Member>;
  /** Brings a soft-deleted row back as `pending`, keeping `created_at`. */
  revive(imageId: string, memberId: string, now: string): Promise<Member>;
}

export interface MemberStore {
  /** The live row, if any. */
  find(imageId: string, memberId: string): Promise<Member | undefined>;
  /** Live rows in Glance's order (first insertion). */
  list(imageId: string): Promise<Member[]>;
  /**
   * Runs `work` with the image's member set locked, in one transaction. Resolves to undefined
   * (without running `work`) when the image no longer exists.
   */
  withImageLock<T>(imageId: string, work: (locked: LockedMemberStore) => Promise<T>): Promise<T | undefined>;
  /** Sets the status of a live row; `updated_at` moves only when the status changes. Undefined if no live row. */
  updateStatus(imageId: string, memberId: string, status: MemberStatus, now: string): Promise<Member | undefined>;
  /** Soft-deletes a live row; false when there was none. */
  remove(imageId: string, memberId: string): Promise<boolean>;
}


function toMember(row: MemberRow): StoredMember {
  return {
    imageId: row.image_id,
    memberId: row.member_id,
    status: row.status as MemberStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deleted: Boolean(row.deleted),
  };
}

function live({ deleted: _deleted, ...member }: StoredMember): Member {
  return member;
}

function lockedStore(trx: Db): LockedMemberStore {
  const findAny = async (imageId: string, memberId: string): Promise<StoredMember | undefined> => {
    const row = await trx<MemberRow>('image_members').where({ image_id: imageId, member_id: memberId }).first();
    return row ? toMember(row) : undefined;
  };
  return {
    async countLive(imageId) {
      const row = await trx('image_members').where({ image_id: imageId, deleted: false }).count({ n: '*' }).first();
      return Number(row?.['n'] ?? 0);
    },
    findAny,
    async insert(member) {
      const top = await trx('image_members').where({ image_id: member.imageId }).max({ seq: 'seq' }).first();
      try {
        await trx('image_members').insert({
          image_id: member.imageId,
          member_id: member.memberId,
          status: member.status,
          created_at: member.createdAt,
          updated_at: member.updatedAt,
          deleted: false,
          seq: Number(top?.['seq'] ?? 0) + 1,
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`member ${member.memberId} exists for image ${member.imageId}`, { cause: error });
        throw error;
      }
      return member;
    },
    async revive(imageId, memberId, now) {
      await trx('image_members').where({ image_id: imageId, member_id: memberId }).update({ status: 'pending', updated_at: now, deleted: false });
      const revived = await findAny(imageId, memberId);
      return live(revived!);
    },
  };
}

export function createMemberStore(db: Db): MemberStore {
  const findLive = async (imageId: string, memberId: string): Promise<Member | undefined> => {
    const row = await db<MemberRow>('image_members').where({ image_id: imageId, member_id: memberId, deleted: false }).first();
    return row ? live(toMember(row)) : undefined;
  };
  return {
    find: findLive,
    async list(imageId) {
      const rows = await db<MemberRow>('image_members').where({ image_id: imageId, deleted: false }).orderBy('seq');
      return rows.map((row) => live(toMember(row)));
    },
    async withImageLock(imageId, work) {
      return db.transaction(async (trx) => {
        const locked = await trx('images').where({ id: imageId }).increment('member_write_seq', 1);
        if (locked === 0) return undefined;
        return work(lockedStore(trx));
      });
    },
    async updateStatus(imageId, memberId, status, now) {
      // One statement, so a concurrent delete either happens before (0 rows → 404) or after.
      const changed = await db('image_members')
        .where({ image_id: imageId, member_id: memberId, deleted: false })
        .update({ status, updated_at: db.raw('CASE WHEN status = ? THEN updated_at ELSE ? END', [status, now]) });
      if (changed === 0) return undefined;
      const row = await db<MemberRow>('image_members').where({ image_id: imageId, member_id: memberId }).first();
      return row ? live(toMember(row)) : undefined;
    },
    async remove(imageId, memberId) {
      const changed = await db('image_members').where({ image_id: imageId, member_id: memberId, deleted: false }).update({ deleted: true });
      return changed > 0;
    },
  };
}
