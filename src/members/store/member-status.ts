/**
 * Status changes, committed in groups per image (store/keyed-batches.ts). Each change is one
 * conditional `update … returning`, so a concurrent removal either happens before it (no live
 * row: undefined) or after it, and a removed member never comes back. A change alone commits by
 * itself; changes that arrive together share a transaction, so one durable commit.
 */
import type { Member } from '../../base/domain.ts';
import type { Db } from '../../store/db.ts';
import { createKeyedBatches } from '../../store/keyed-batches.ts';
import { createPreparedStatements, type PreparedStatements } from '../../store/prepared.ts';
import { live, MEMBER_COLUMNS, toMember, type MemberRow } from './member-rows.ts';
import type { StatusChange } from './member-store.ts';

/** Bounds one transaction's length. */
const MAX_CHANGES_PER_BATCH = 64;

// `updated_at` moves only when the status does.
const UPDATE_STATUS_SQL = `update image_members set status = ?, updated_at = case when status = ? then updated_at else ? end
  where image_id = ? and member_id = ? and deleted = ? returning ${MEMBER_COLUMNS}, deleted`;

async function update(statements: PreparedStatements, imageId: string, change: StatusChange): Promise<Member | undefined> {
  const { memberId, status, now } = change;
  const bindings = [status, status, now, imageId, memberId, false];
  const [row] = await statements.rows<MemberRow>('glance_share_member_update_status', UPDATE_STATUS_SQL, bindings);
  return row === undefined ? undefined : live(toMember(row));
}

/** The store's `setStatus`: the updated member, or undefined when it has no live row. */
export function createGroupCommittedStatusChanges(db: Db): (imageId: string, change: StatusChange) => Promise<Member | undefined> {
  const prepared = createPreparedStatements(db);
  const batches = createKeyedBatches<StatusChange, Member | undefined>(async (imageId, changes) => {
    const updated =
      changes.length === 1
        ? [await update(prepared, imageId, changes[0]!)]
        : await db.transaction(async (trx) => {
            const statements = createPreparedStatements(trx);
            const results: Array<Member | undefined> = [];
            for (const change of changes) results.push(await update(statements, imageId, change));
            return results;
          });
    return updated.map((value): PromiseSettledResult<Member | undefined> => ({ status: 'fulfilled', value }));
  }, MAX_CHANGES_PER_BATCH);
  return (imageId, change) => batches.submit(imageId, change);
}
