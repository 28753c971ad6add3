/**
 * The image lock as member adds use it (store/transactions.ts): one transaction whose first
 * statement takes the lock and, in the same round trip where the engine allows, reads what adds
 * depend on — the live count and the rows of the members being added. Inside it, new rows go in
 * together and soft-deleted rows come back.
 */
import type { Knex } from 'knex';
import type { Member } from '../../base/domain.ts';
import { ConflictError } from '../../base/errors.ts';
import { isSqlite, type Db } from '../../store/db.ts';
import { createPreparedStatements, type PreparedStatements } from '../../store/prepared.ts';
import { isUniqueViolation } from '../../store/sql-errors.ts';
import { IMAGE_LOCK_SQL, inNewTransaction } from '../../store/transactions.ts';
import { live, MEMBER_COLUMNS, toMember, tuplesOf, type MemberRow, type StoredMember, type StoredMemberTuple } from './member-rows.ts';

/** What a batch of adds depends on, read under the image lock. */
export interface LockedMemberState {
  /** The number of live rows; only counted when asked (it reads every row of the image). */
  live: number | undefined;
  /** The rows, live or soft-deleted, of the members being added, by member id. */
  existing: ReadonlyMap<string, StoredMember>;
}

/** Writes available while the image's member set is locked. */
export interface LockedMemberWrites {
  /** Inserts live rows at the end of the image's list, in this order, in one statement; ConflictError on a taken key. */
  insert(members: readonly Member[]): Promise<void>;
  /** Brings a soft-deleted row back as `pending`, keeping `created_at` and its list position. */
  revive(imageId: string, memberId: string, now: string): Promise<Member>;
}

export interface MemberLock {
  /**
   * Runs `work` in one transaction with the image locked, given the state of `memberIds` read
   * after the lock was taken. Undefined (without running `work`) when the image is gone.
   */
  withImageLock<T>(
    imageId: string,
    memberIds: readonly string[],
    options: { countLive: boolean },
    work: (writes: LockedMemberWrites, state: LockedMemberState) => Promise<T>,
  ): Promise<T | undefined>;
}

/**
 * What adds depend on, as columns over the `images` row: the live count (or null) and the rows of
 * the members named by a JSON array of ids (one binding, so the text is the same for any number).
 */
function stateColumns(db: Db, countLive: boolean): string {
  const live = countLive ? '(select count(*) from image_members c where c.image_id = images.id and c.deleted = ?)' : 'null';
  const rows = isSqlite(db)
    ? "(select '[' || group_concat(json_array(m.member_id, m.status, m.created_at, m.updated_at, m.deleted), ',') || ']' from image_members m where m.image_id = images.id and m.member_id in (select value from json_each(?)))"
    : // One primary-key lookup per named member (LIMIT 1 keeps the lateral subquery a per-id probe
      // instead of a join that reads every row of the image; see migration 0003).
      `(select json_agg(json_build_array(m.member_id, m.status, m.created_at, m.updated_at, m.deleted))
        from json_array_elements_text(?::json) as named(member_id)
        cross join lateral (select r.member_id, r.status, r.created_at, r.updated_at, r.deleted from image_members r
                            where r.image_id = images.id and r.member_id = named.member_id limit 1) m)`;
  return `${live} as live, ${rows} as existing_json`;
}

interface LockRow {
  live: number | string | null;
  existing_json: string | StoredMemberTuple[] | null;
}

/** Takes the lock and reads the state; undefined when the image is gone. */
async function lockAndRead(
  db: Db,
  statements: PreparedStatements,
  imageId: string,
  memberIds: readonly string[],
  countLive: boolean,
): Promise<LockedMemberState | undefined> {
  const variant = countLive ? 'count' : 'nocount';
  const stateBindings: Knex.Value[] = [...(countLive ? [false] : []), JSON.stringify(memberIds)];
  let row: LockRow | undefined;
  if (isSqlite(db)) {
    // SQLite: the UPDATE reads from the snapshot it takes with the write lock, so the state can
    // come back from the locking statement itself (one round trip less).
    const sql = `${IMAGE_LOCK_SQL} returning ${stateColumns(db, countLive)}`;
    [row] = await statements.rows<LockRow>(`lock_${variant}`, sql, [imageId, ...stateBindings]);
  } else {
    // PostgreSQL: a statement that waited for the row lock still reads from the snapshot it
    // started with, missing what the lock holder committed; the next statement sees it.
    const [locked] = await statements.rows<{ id: string }>('glance_share_member_lock', `${IMAGE_LOCK_SQL} returning id`, [imageId]);
    if (locked === undefined) return undefined;
    const sql = `select ${stateColumns(db, countLive)} from images where id = ?`;
    [row] = await statements.rows<LockRow>(`glance_share_member_state_${variant}`, sql, [...stateBindings, imageId]);
  }
  if (row === undefined) return undefined;
  const existing = new Map(
    tuplesOf<StoredMemberTuple>(row.existing_json).map(([memberId, status, createdAt, updatedAt, deleted]) => [
      memberId,
      toMember({ image_id: imageId, member_id: memberId, status, created_at: createdAt, updated_at: updatedAt, deleted }),
    ]),
  );
  return { live: row.live === null ? undefined : Number(row.live), existing };
}

const INSERT_SQL = {
  sqlite: `insert into image_members (image_id, member_id, status, created_at, updated_at, deleted, seq)
    select ?, json_extract(j.value, '$[0]'), 'pending', json_extract(j.value, '$[1]'), json_extract(j.value, '$[1]'), 0,
      (select coalesce(max(seq), 0) from image_members where image_id = ?) + j.key + 1
    from json_each(?) j`,
  pg: `insert into image_members (image_id, member_id, status, created_at, updated_at, deleted, seq)
    select ?, j.e ->> 0, 'pending', j.e ->> 1, j.e ->> 1, false,
      (select coalesce(max(seq), 0) from image_members where image_id = ?) + j.position
    from json_array_elements(?::json) with ordinality as j(e, position)`,
};

function lockedWrites(db: Db, statements: PreparedStatements): LockedMemberWrites {
  return {
    async insert(members) {
      if (members.length === 0) return;
      // One statement for the whole batch, its text the same for any size (the rows come as one
      // JSON binding): positions continue from the image's last (the image is locked).
      const rows = JSON.stringify(members.map(({ memberId, createdAt }) => [memberId, createdAt]));
      const imageId = members[0]!.imageId;
      try {
        const sql = isSqlite(db) ? INSERT_SQL.sqlite : INSERT_SQL.pg;
        await statements.rows('glance_share_member_insert', sql, [imageId, imageId, rows]);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`a member exists already for image ${imageId}`, { cause: error });
        throw error;
      }
    },
    async revive(imageId, memberId, now) {
      const [row] = await statements.rows<MemberRow>(
        'glance_share_member_revive',
        `update image_members set status = 'pending', updated_at = ?, deleted = ? where image_id = ? and member_id = ? returning ${MEMBER_COLUMNS}, deleted`,
        [now, false, imageId, memberId],
      );
      return live(toMember(row!));
    },
  };
}

export function createMemberLock(db: Db): MemberLock {
  return {
    withImageLock(imageId, memberIds, { countLive }, work) {
      return inNewTransaction(db, async (trx) => {
        const statements = createPreparedStatements(trx);
        const state = await lockAndRead(trx, statements, imageId, memberIds, countLive);
        return state === undefined ? undefined : work(lockedWrites(trx, statements), state);
      });
    },
  };
}
