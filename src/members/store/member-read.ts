/**
 * The one read every member request makes: the image, the caller's own row, the row the request
 * names and, when asked, every row in list order, in one query. Its SQL is written once per
 * combination of options and prepared once per connection (store/prepared.ts).
 */
import type { Knex } from 'knex';
import type { Member, MemberStatus } from '../../base/domain.ts';
import { isSqlite, type Db } from '../../store/db.ts';
import { imageColumnsSql, toImage, type ImageRow } from '../../store/image-rows.ts';
import { createPreparedStatements } from '../../store/prepared.ts';
import type { MemberRead, MemberReadOptions } from './member-store.ts';
import { memberFrom, tuplesOf, type MemberTuple } from './member-rows.ts';

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
  /** Every live row in list order (null for none). */
  members_json?: string | MemberTuple[] | null;
}

/** The SQL of `read` for one combination of options. */
function readSql(db: Db, withMember: boolean, members: MemberReadOptions['members']): string {
  const list = isSqlite(db)
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

/** Bindings in the order their placeholders appear in readSql: select list, joins, where. */
function readBindings(imageId: string, callerProjectId: string, options: MemberReadOptions): Knex.Value[] {
  const bindings: Knex.Value[] = [];
  if (options.members === 'if-caller-owns') bindings.push(callerProjectId);
  if (options.members !== undefined) bindings.push(false);
  bindings.push(callerProjectId, false);
  if (options.memberId !== undefined) bindings.push(options.memberId, false);
  bindings.push(imageId);
  return bindings;
}

function toMemberRead(row: ReadRow, callerProjectId: string, options: MemberReadOptions): MemberRead {
  const image = toImage(row);
  const listRead = options.members === 'all' || (options.members === 'if-caller-owns' && image.owner === callerProjectId);
  const members = listRead
    ? tuplesOf<MemberTuple>(row.members_json).map(([memberId, status, createdAt, updatedAt]): Member => ({
        imageId: image.id,
        memberId,
        status: status as MemberStatus,
        createdAt,
        updatedAt,
      }))
    : undefined;
  return {
    image,
    callerRow: memberFrom(image.id, row.c_member_id, row.c_status, row.c_created_at, row.c_updated_at),
    member:
      options.memberId === undefined ? undefined : memberFrom(image.id, row.r_member_id, row.r_status, row.r_created_at, row.r_updated_at),
    members,
  };
}

/** The store's `read`, on `reads` (see store/db.ts `createReadDb`). */
export function createMemberReader(
  reads: Db,
): (imageId: string, callerProjectId: string, options?: MemberReadOptions) => Promise<MemberRead | undefined> {
  const prepared = createPreparedStatements(reads);
  const sqlByVariant = new Map<string, string>();
  return async (imageId, callerProjectId, options = {}) => {
    const variant = `${options.memberId !== undefined}:${options.members ?? ''}`;
    let sql = sqlByVariant.get(variant);
    if (sql === undefined) {
      sql = readSql(reads, options.memberId !== undefined, options.members);
      sqlByVariant.set(variant, sql);
    }
    const name = `glance_share_member_read_${variant.replace(/\W/g, '_')}`;
    const [row] = await prepared.rows<ReadRow>(name, sql, readBindings(imageId, callerProjectId, options));
    return row === undefined ? undefined : toMemberRead(row, callerProjectId, options);
  };
}
