/**
 * Image member rows, behind the interface the member service uses. Removal is a soft delete
 * (`deleted = true`) so a re-add keeps the original `created_at` and list position, as Glance does.
 *
 * - Reads (member-read.ts): everything a member request's rules need — the image, the caller's
 *   own row, the row it names, or every row — in one prepared query.
 * - Adds (member-adds.ts over member-lock.ts): group commit under the image lock; the service's
 *   decision for each add runs inside, against the rows as they stand at its turn.
 * - Status changes (member-status.ts): one conditional update each, committed in groups.
 * - Removal: one conditional update.
 */
import type { Image, Member, MemberStatus } from '../../base/domain.ts';
import type { Db } from '../../store/db.ts';
import { createGroupCommittedAdds } from './member-adds.ts';
import { createMemberLock, type MemberLock } from './member-lock.ts';
import { createMemberReader } from './member-read.ts';
import { createGroupCommittedStatusChanges } from './member-status.ts';

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

/** The image's members as one add finds them when its turn comes under the image lock. */
export interface AddState {
  /** Live rows, counting the adds decided before this one; undefined unless `countMembers` was asked. */
  memberCount: number | undefined;
  /** The member being added has a live row already. */
  isMember: boolean;
}

export interface AddRequest {
  imageId: string;
  memberId: string;
  /** `created_at` and `updated_at` of the new row. */
  now: string;
  /** Whether `decide` needs `memberCount` (counting reads every row of the image). */
  countMembers: boolean;
  /** The service's rule: the error that refuses this add, or undefined to add it. */
  decide(state: AddState): Error | undefined;
}

export interface StatusChange {
  memberId: string;
  status: MemberStatus;
  now: string;
}

export interface MemberStore {
  /** The image (undefined when there is none) with the caller's live row and what `options` asks for. */
  read(imageId: string, callerProjectId: string, options?: MemberReadOptions): Promise<MemberRead | undefined>;
  /**
   * Adds a pending member if `decide` allows it, under the image lock. Resolves to the member,
   * or undefined when the image is gone; rejects with `decide`'s refusal, or with ConflictError
   * when the primary key refuses the row (a racing add).
   */
  add(request: AddRequest): Promise<Member | undefined>;
  /** Sets a live row's status (`updated_at` moves only when it changes); undefined when it has no live row. */
  setStatus(imageId: string, change: StatusChange): Promise<Member | undefined>;
  /** Soft-deletes a live row; false when there was none. */
  remove(imageId: string, memberId: string): Promise<boolean>;
}

export interface MemberStoreOptions {
  /** The connections reads run on (store/db.ts `createReadDb`); writes and transactions use `db`. */
  reads?: Db;
  /** The image lock adds run under; tests wrap the real one to stage races. */
  lock?: MemberLock;
}

export function createMemberStore(db: Db, options: MemberStoreOptions = {}): MemberStore {
  return {
    read: createMemberReader(options.reads ?? db),
    add: createGroupCommittedAdds(options.lock ?? createMemberLock(db)),
    setStatus: createGroupCommittedStatusChanges(db),
    async remove(imageId, memberId) {
      const changed = await db('image_members').where({ image_id: imageId, member_id: memberId, deleted: false }).update({ deleted: true });
      return changed > 0;
    },
  };
}
