/**
 * Adds to one image, committed in groups (store/keyed-batches.ts): adds that arrive while an
 * earlier one holds the image lock run together as the next transaction, one lock and one durable
 * commit for all. Each add is still decided on its own, in arrival order, by the decision the
 * service passed with it, against the image's members as they stand when its turn comes — exactly
 * as if it had run alone. The primary key (image_id, member_id) is the last guard: its violation
 * rolls a batch back, and then each add of that batch is retried alone, so only the add it
 * concerns fails.
 */
import type { Member } from '../../base/domain.ts';
import { ConflictError } from '../../base/errors.ts';
import { createKeyedBatches } from '../../store/keyed-batches.ts';
import type { MemberLock } from './member-lock.ts';
import type { AddRequest } from './member-store.ts';

/** Bounds one transaction's length (and how long its lock is held). */
const MAX_ADDS_PER_BATCH = 64;

type Outcome = PromiseSettledResult<Member | undefined>;

/** Runs a batch under the image lock; every outcome is undefined when the image is gone. */
async function addLocked(lock: MemberLock, imageId: string, requests: readonly AddRequest[]): Promise<Outcome[]> {
  // Counting reads every row of the image: only done when some decision needs the count.
  const countLive = requests.some((request) => request.countMembers);
  const memberIds = requests.map((request) => request.memberId);
  const outcomes = await lock.withImageLock(imageId, memberIds, { countLive }, async (writes, state) => {
    let memberCount = state.live;
    const isMember = new Map([...state.existing].map(([memberId, row]) => [memberId, !row.deleted]));
    const results: Outcome[] = [];
    const inserts: Member[] = [];
    for (const request of requests) {
      const refusal = request.decide({ memberCount, isMember: isMember.get(request.memberId) === true });
      if (refusal !== undefined) {
        results.push({ status: 'rejected', reason: refusal });
        continue;
      }
      let member: Member;
      if (isMember.has(request.memberId)) member = await writes.revive(imageId, request.memberId, request.now);
      else {
        member = { imageId, memberId: request.memberId, status: 'pending', createdAt: request.now, updatedAt: request.now };
        inserts.push(member);
      }
      isMember.set(request.memberId, true);
      if (memberCount !== undefined) memberCount += 1;
      results.push({ status: 'fulfilled', value: member });
    }
    // New rows go in together, in arrival order (their list order), before the commit.
    await writes.insert(inserts);
    return results;
  });
  return outcomes ?? requests.map((): Outcome => ({ status: 'fulfilled', value: undefined }));
}

/** A batch; after a primary-key refusal, each of its adds again alone. */
async function addBatch(lock: MemberLock, imageId: string, requests: readonly AddRequest[]): Promise<Outcome[]> {
  try {
    return await addLocked(lock, imageId, requests);
  } catch (error) {
    if (!(error instanceof ConflictError) || requests.length === 1) throw error;
    const alone: Outcome[] = [];
    for (const request of requests) {
      alone.push(...(await addBatch(lock, imageId, [request]).catch((reason: unknown): Outcome[] => [{ status: 'rejected', reason }])));
    }
    return alone;
  }
}

/** The store's `add`: resolves to the new member, undefined when the image is gone, or rejects with the refusal. */
export function createGroupCommittedAdds(lock: MemberLock): (request: AddRequest) => Promise<Member | undefined> {
  const batches = createKeyedBatches<AddRequest, Member | undefined>(
    (imageId, requests) => addBatch(lock, imageId, requests),
    MAX_ADDS_PER_BATCH,
  );
  return (request) => batches.submit(request.imageId, request);
}
