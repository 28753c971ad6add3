/**
 * Image member rows. Removal is a soft delete (`deleted = true`) so a re-add keeps the original
 * `created_at` and list position, as Glance does.
 *
 * Round trips: a member request reads everything its rules need — the image, the caller's own
 * row, the row it names, or every row — in one query (`read`), and a status change is one
 * `update … returning`. These hot statements are written once and prepared once per connection
 * (prepared.ts), not built and compiled per request.
 *
 * Concurrency: every change that depends on other rows (the member limit, duplicates) runs in
 * `withImageLock`, whose first statement writes the image row (and, in the same statement, reads
 * what the change depends on). That takes PostgreSQL's row lock and SQLite's write lock before
 * anything is read, so concurrent adds to one image are serialised on every engine and across
 * instances; the (image_id, member_id) primary key is the last guard.
 */
import type { Knex } from 'knex';
import { ConflictError } from '../../base/errors.ts';
import type { Image, Member, MemberStatus } from '../../base/domain.ts';
import { isSqlite, type Db } from '../../store/db.ts';
import { imageColumnsSql, toImage, type ImageRow } from '../../store/image-rows.ts';
import { createPreparedStatements, type PreparedStatements } from '../../store/prepared.ts';
import { isUniqueViolation } from '../../store/sql-errors.ts';

interface MemberRow {
  image_id: string;
  member_id: string;
  status: string;
  created_at: string;
  updated_at: string;
  deleted: boolean | number;
}

export interface StoredMember extends Member {
  deleted: boolean;
}

/** What a member request reads besides the image and the caller's own row. */
export interface MemberReadOptions {
  /** Also read the live row of this member. */
  memberId?: string;
  /** Also read every live row: always, or only when the caller's project owns the image. */
  members?: 'all' | 'if-caller-owns';
}

/** The image and the member rows its rules need, read in one round trip. */
export interface MemberRead {
  image: Image;
  /** The live row of the caller's own project, if any. */
  callerRow: Member | undefined;
  /** The live row of `memberId`, when asked for and present. */
  member: Member | undefined;
  /** Every live row in Glance's order (first insertion), when asked for and (for `if-caller-owns`) read. */
  members: Member[] | undefined;
}

export interface StatusChange {
  memberId: string;
  status: MemberStatus;
  now: string;
}

/** What a batch of adds depends on, read under the image lock. */
export interface LockedMemberState {
  /** The number of live rows; only counted when asked (it reads every row of the image). */
  live: number | undefined;
  /** The rows, live or soft-deleted, of the members being added, by member id. */
  existing: ReadonlyMap<string, StoredMember>;
}

/** Operations available while the image's member set is locked. */
export interface LockedMemberStore {
  /** Inserts live rows at the end of the image's list, in this order, in one statement. */
  insert(members: readonly Member[]): Promise<void>;
  /** Brings a soft-deleted row back as `pending`, keeping `created_at`. */
  revive(imageId: string, memberId: string, now: string): Promise<Member>;
}

export interface MemberStore {
  /** The image (undefined when there is none) with the caller's live row and what `options` asks for. */
  read(imageId: string, callerProjectId: string, options?: MemberReadOptions): Promise<MemberRead | undefined>;
  /**
   * Runs `work` with the image's member set locked, in one transaction, together with the rows of
   * `memberIds` (and the live count when `countLive`) read after the lock was taken.
   * Resolves to undefined (without running `work`) when the image no longer exists.
   */
  withImageLock<T>(
    imageId: string,
    memberIds: readonly string[],
    options: { countLive: boolean },
    work: (locked: LockedMemberStore, state: LockedMemberState) => Promise<T>,
  ): Promise<T | undefined>;
  /**
   * Sets the status of live rows of one image, in order, committed together; `updated_at` moves
   * only when the status changes. Undefined for a change whose row is not live.
   */
  updateStatuses(imageId: string, changes: readonly StatusChange[]): Promise<Array<Member | undefined>>;
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

const MEMBER_COLUMNS = 'image_id, member_id, status, created_at, updated_at';

/** `read`'s row: the image, then the caller's row (c_*), the named row (r_*) and the list as JSON. */
interface ReadRow extends ImageRow {
  c_member_id: string | null;
  c_status: string | null;
  c_created_at: string | null;
  c_updated_at: string | null;
  r_member_id?: string | null;
  r_status?: string | null;
  r_created_at?: string | null;
  r_updated_at?: string | null;
  /** `[[member_id, status, created_at, updated_at], …]` in list order (null for none); text on SQLite, parsed on PostgreSQL. */
  members_json?: string | MemberTuple[] | null;
}

type MemberTuple = [memberId: string, status: string, createdAt: string, updatedAt: string];

/** The SQL of `read` for one combination of options, written once. */
function readSql(db: Db, withMember: boolean, members: MemberReadOptions['members']): string {
  const sqlite = isSqlite(db);
  const list = sqlite
    ? // Text concatenation rather than json_group_array, whose sorter would turn each inner array into a string.
      "(select '[' || group_concat(json_array(m.member_id, m.status, m.created_at, m.updated_at), ',' order by m.seq) || ']' from image_members m where m.image_id = i.id and m.deleted = ?)"
    : '(select json_agg(json_build_array(m.member_id, m.status, m.created_at, m.updated_at) order by m.seq) from image_members m where m.image_id = i.id and m.deleted = ?)';
  const columns = [
    imageColumnsSql(db),
    'c.member_id as c_member_id, c.status as c_status, c.created_at as c_created_at, c.updated_at as c_updated_at',
  ];
  if (withMember)
    columns.push('r.member_id as r_member_id, r.status as r_status, r.created_at as r_created_at, r.updated_at as r_updated_at');
  // A CASE evaluates its subquery only when the condition holds: a member's request never reads the other rows.
  if (members === 'all') columns.push(`${list} as members_json`);
  if (members === 'if-caller-owns') columns.push(`case when i.owner = ? then ${list} end as members_json`);
  return [
    `select ${columns.join(', ')} from images i`,
    'left join image_members c on c.image_id = i.id and c.member_id = ? and c.deleted = ?',
    withMember ? 'left join image_members r on r.image_id = i.id and r.member_id = ? and r.deleted = ?' : '',
    'where i.id = ?',
  ].join(' ');
}

function memberFrom(
  imageId: string,
  memberId: string | null | undefined,
  status: string | null | undefined,
  createdAt: string | null | undefined,
  updatedAt: string | null | undefined,
): Member | undefined {
  if (memberId === null || memberId === undefined) return undefined;
  return { imageId, memberId, status: status as MemberStatus, createdAt: createdAt!, updatedAt: updatedAt! };
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

/** Bumps the image's write counter, which takes PostgreSQL's row lock or SQLite's write lock. */
const LOCK_SQL = 'update images set member_write_seq = member_write_seq + 1 where id = ?';

interface LockRow {
  live: number | string | null;
  /** `[[member_id, status, created_at, updated_at, deleted], …]` (null for none); text on SQLite, parsed on PostgreSQL. */
  existing_json: string | StoredMemberTuple[] | null;
}

type StoredMemberTuple = [memberId: string, status: string, createdAt: string, updatedAt: string, deleted: boolean | number];

function lockedStore(trx: Db, prepared: PreparedStatements): LockedMemberStore {
  const sqlite = isSqlite(trx);
  return {
    async insert(members) {
      if (members.length === 0) return;
      // One statement for the whole batch, its text the same for any size (the rows come as one
      // JSON binding): positions continue from the image's last (the image is locked).
      const rows = JSON.stringify(members.map(({ memberId, createdAt }) => [memberId, createdAt]));
      const imageId = members[0]!.imageId;
      try {
        await prepared.rows(
          'glance_share_member_insert',
          sqlite
            ? `insert into image_members (image_id, member_id, status, created_at, updated_at, deleted, seq)
             select ?, json_extract(j.value, '$[0]'), 'pending', json_extract(j.value, '$[1]'), json_extract(j.value, '$[1]'), 0,
               (select coalesce(max(seq), 0) from image_members where image_id = ?) + j.key + 1
             from json_each(?) j`
            : `insert into image_members (image_id, member_id, status, created_at, updated_at, deleted, seq)
             select ?, j.e ->> 0, 'pending', j.e ->> 1, j.e ->> 1, false,
               (select coalesce(max(seq), 0) from image_members where image_id = ?) + j.position
             from json_array_elements(?::json) with ordinality as j(e, position)`,
          [imageId, imageId, rows],
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`a member exists already for image ${imageId}`, { cause: error });
        throw error;
      }
    },
    async revive(imageId, memberId, now) {
      const [row] = await prepared.rows<MemberRow>(
        'glance_share_member_revive',
        `update image_members set status = 'pending', updated_at = ?, deleted = ? where image_id = ? and member_id = ? returning ${MEMBER_COLUMNS}, deleted`,
        [now, false, imageId, memberId],
      );
      return live(toMember(row!));
    },
  };
}

/** `reads` serves `read` (see db.ts `createReadDb`); every write and transaction uses `db`. */
export function createMemberStore(db: Db, reads: Db = db): MemberStore {
  const sqlite = isSqlite(db);
  const prepared = createPreparedStatements(db);
  const preparedReads = reads === db ? prepared : createPreparedStatements(reads);
  const readSqls = new Map<string, string>();
  const updateStatusSql = `update image_members set status = ?, updated_at = case when status = ? then updated_at else ? end
    where image_id = ? and member_id = ? and deleted = ? returning ${MEMBER_COLUMNS}, deleted`;

  return {
    async read(imageId, callerProjectId, options = {}) {
      const withMember = options.memberId !== undefined;
      const key = `${withMember}:${options.members ?? ''}`;
      let sql = readSqls.get(key);
      if (sql === undefined) {
        sql = readSql(db, withMember, options.members);
        readSqls.set(key, sql);
      }
      // Bindings in the order their placeholders appear: select list, joins, where.
      const bindings: Knex.Value[] = [];
      if (options.members === 'if-caller-owns') bindings.push(callerProjectId);
      if (options.members !== undefined) bindings.push(false);
      bindings.push(callerProjectId, false);
      if (options.memberId !== undefined) bindings.push(options.memberId, false);
      bindings.push(imageId);
      const row = (await preparedReads.rows<ReadRow>(`glance_share_member_read_${key.replace(/\W/g, '_')}`, sql, bindings))[0];
      if (row === undefined) return undefined;
      const image = toImage(row);
      let members: Member[] | undefined;
      const listRead = options.members === 'all' || (options.members === 'if-caller-owns' && image.owner === callerProjectId);
      if (listRead) {
        const raw = row.members_json ?? null;
        const tuples = raw === null ? [] : typeof raw === 'string' ? (JSON.parse(raw) as MemberTuple[]) : raw;
        members = tuples.map(([memberId, status, createdAt, updatedAt]) => ({
          imageId: image.id,
          memberId,
          status: status as MemberStatus,
          createdAt,
          updatedAt,
        }));
      }
      return {
        image,
        callerRow: memberFrom(image.id, row.c_member_id, row.c_status, row.c_created_at, row.c_updated_at),
        member: withMember ? memberFrom(image.id, row.r_member_id, row.r_status, row.r_created_at, row.r_updated_at) : undefined,
        members,
      };
    },
    async withImageLock(imageId, memberIds, { countLive }, work) {
      const variant = countLive ? 'count' : 'nocount';
      const stateBindings: Knex.Value[] = [...(countLive ? [false] : []), JSON.stringify(memberIds)];
      return db.transaction(async (trx) => {
        const inTransaction = createPreparedStatements(trx);
        let row: LockRow | undefined;
        if (sqlite) {
          // SQLite: the UPDATE reads from the snapshot it takes with the write lock, so the state
          // can come back from the locking statement itself (one round trip less).
          [row] = await inTransaction.rows<LockRow>(`lock_${variant}`, `${LOCK_SQL} returning ${stateColumns(db, countLive)}`, [
            imageId,
            ...stateBindings,
          ]);
        } else {
          // PostgreSQL: a statement that waited for the row lock still reads from the snapshot it
          // started with, missing what the lock holder committed; the next statement sees it.
          const [locked] = await inTransaction.rows<{ id: string }>('glance_share_member_lock', `${LOCK_SQL} returning id`, [imageId]);
          if (locked !== undefined) {
            [row] = await inTransaction.rows<LockRow>(
              `glance_share_member_state_${variant}`,
              `select ${stateColumns(db, countLive)} from images where id = ?`,
              [...stateBindings, imageId],
            );
          }
        }
        if (row === undefined) return undefined;
        const raw = row.existing_json;
        const tuples = raw === null ? [] : typeof raw === 'string' ? (JSON.parse(raw) as StoredMemberTuple[]) : raw;
        const existing = new Map(
          tuples.map(([memberId, status, createdAt, updatedAt, deleted]) => [
            memberId,
            toMember({ image_id: imageId, member_id: memberId, status, created_at: createdAt, updated_at: updatedAt, deleted }),
          ]),
        );
        return work(lockedStore(trx, inTransaction), { live: row.live === null ? undefined : Number(row.live), existing });
      });
    },
    async updateStatuses(imageId, changes) {
      // Each change is one statement, so a concurrent delete either happens before it (no row →
      // undefined) or after it. Alone it commits by itself; several share a transaction, so one
      // durable commit.
      const update = async (statements: PreparedStatements, { memberId, status, now }: StatusChange): Promise<Member | undefined> => {
        const [row] = await statements.rows<MemberRow>('glance_share_member_update_status', updateStatusSql, [
          status,
          status,
          now,
          imageId,
          memberId,
          false,
        ]);
        return row === undefined ? undefined : live(toMember(row));
      };
      if (changes.length === 1) return [await update(prepared, changes[0]!)];
      return db.transaction(async (trx) => {
        const inTransaction = createPreparedStatements(trx);
        const updated: Array<Member | undefined> = [];
        for (const change of changes) updated.push(await update(inTransaction, change));
        return updated;
      });
    },
    async remove(imageId, memberId) {
      const changed = await db('image_members').where({ image_id: imageId, member_id: memberId, deleted: false }).update({ deleted: true });
      return changed > 0;
    },
  };
}
