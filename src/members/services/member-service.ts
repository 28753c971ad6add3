/**
 * Image members: every rule of Glance's member API (spec sections 3–7) — visibility, owner and
 * member rights, the policy mode, the member limit, duplicates, and 404-not-403 wherever the
 * caller cannot see the image. Checks run in Glance's order, so the first failure is Glance's.
 */
import type { Clock } from '../../base/clock.ts';
import type { MemberLimitsConfig, PolicyMode } from '../../base/config.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RequestEntityTooLargeError } from '../../base/errors.ts';
import type { MemberRead, MemberReadOptions, MemberStore, StatusChange } from '../store/member-store.ts';
import { canSeeImage } from '../../images/services/image-access.ts';
import { memberLimitFor } from './member-limits.ts';
import { createKeyedBatches } from '../../store/keyed-batches.ts';
import { enforceMemberPolicy } from './member-policy.ts';
import { MEMBER_STATUSES, type Caller, type Member, type MemberStatus } from '../../base/domain.ts';

export interface MemberService {
  list(caller: Caller, imageId: string): Promise<Member[]>;
  show(caller: Caller, imageId: string, memberId: string): Promise<Member>;
  add(caller: Caller, imageId: string, memberId: string): Promise<Member>;
  /** `status` is the raw JSON value from the body: its check comes after the permission checks. */
  updateStatus(caller: Caller, imageId: string, memberId: string, status: unknown): Promise<Member>;
  remove(caller: Caller, imageId: string, memberId: string): Promise<void>;
}

export interface MemberServiceDeps {
  members: MemberStore;
  clock: Clock;
  policyMode: PolicyMode;
  limits: MemberLimitsConfig;
}

/** One add waiting for its image's lock: the limit is the one its own read of the image gave. */
interface AddRequest {
  memberId: string;
  limit: number;
}

/** Bounds one transaction's length (and how long its lock is held). */
const MAX_WRITES_PER_BATCH = 64;

const imageNotFound = (imageId: string): NotFoundError => new NotFoundError(`Image ${imageId} not found.`);
const memberNotFound = (memberId: string, imageId: string): NotFoundError =>
  new NotFoundError(`${memberId} not found in the member list of the image ${imageId}.`);

export function createMemberService(deps: MemberServiceDeps): MemberService {
  const { members, clock, policyMode } = deps;
  const legacy = policyMode === 'legacy';

  /**
   * The image if the caller may see it (spec 6.1), otherwise Glance's 404; read in one round trip
   * together with the caller's own row (which the visibility rule needs) and what `options` asks for.
   */
  async function visibleImage(caller: Caller, imageId: string, options?: MemberReadOptions): Promise<MemberRead> {
    const read = await members.read(imageId, caller.projectId, options);
    if (read === undefined || !canSeeImage(caller, read.image, read.callerRow !== undefined)) throw imageNotFound(imageId);
    return read;
  }

  /** Owner and admin see every row; anyone else only its own (Glance's member repo proxy). */
  function visibleRow(caller: Caller, { image, member }: MemberRead, memberId: string): Member {
    const mayRead = caller.isAdmin || image.owner === caller.projectId || memberId === caller.projectId;
    const row = mayRead ? member : undefined;
    if (row === undefined) throw memberNotFound(memberId, image.id);
    return row;
  }

  const now = (): string => clock.now().toISOString();

  const duplicate = (imageId: string, memberId: string): ConflictError =>
    new ConflictError(`Member ${memberId} is duplicated for image ${imageId}`);

  /**
   * Decides a batch of adds to one image under its lock, in arrival order, exactly as if each ran
   * alone: the limit before duplicates (as Glance: a full image answers 413 even to a re-add),
   * then a revive of a removed row (keeping its created_at) or a new row at the end of the list.
   */
  async function addLocked(imageId: string, requests: readonly AddRequest[]): Promise<PromiseSettledResult<Member>[]> {
    // Counting reads every row of the image: only done when there is a limit to check.
    const countLive = requests.some(({ limit }) => limit >= 0);
    const outcomes = await members.withImageLock(
      imageId,
      requests.map(({ memberId }) => memberId),
      { countLive },
      async (locked, state) => {
        let live = state.live ?? 0;
        const added = new Set<string>();
        const results: PromiseSettledResult<Member>[] = [];
        const inserts: Member[] = [];
        for (const { memberId, limit } of requests) {
          const attempted = live + 1;
          if (limit >= 0 && attempted > limit) {
            results.push({
              status: 'rejected',
              reason: new RequestEntityTooLargeError(
                `Image member limit exceeded for image ${imageId}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${limit}:`,
              ),
            });
            continue;
          }
          const existing = state.existing.get(memberId);
          if (added.has(memberId) || (existing !== undefined && !existing.deleted)) {
            results.push({ status: 'rejected', reason: duplicate(imageId, memberId) });
            continue;
          }
          const at = now();
          let member: Member;
          if (existing !== undefined) {
            member = await locked.revive(imageId, memberId, at);
          } else {
            member = { imageId, memberId, status: 'pending', createdAt: at, updatedAt: at };
            inserts.push(member);
          }
          added.add(memberId);
          live += 1;
          results.push({ status: 'fulfilled', value: member });
        }
        // New rows go in together, in arrival order (their list order), before the commit.
        await locked.insert(inserts);
        return results;
      },
    );
    if (outcomes === undefined) return requests.map(() => ({ status: 'rejected', reason: imageNotFound(imageId) }));
    return outcomes;
  }

  /** Status changes to one image that arrive together are committed together (one durable commit). */
  const statusChanges = createKeyedBatches<StatusChange, Member>(async (imageId, changes) => {
    const updated = await members.updateStatuses(imageId, changes);
    return changes.map(({ memberId }, i): PromiseSettledResult<Member> => {
      const member = updated[i];
      return member === undefined
        ? { status: 'rejected', reason: memberNotFound(memberId, imageId) }
        : { status: 'fulfilled', value: member };
    });
  }, MAX_WRITES_PER_BATCH);

  /**
   * A batch of adds, with the primary key as the last guard against a racing duplicate: its
   * violation rolls the whole batch back, so each add is retried alone and only the duplicate is
   * refused (an add retried alone that fails otherwise fails alone).
   */
  async function addBatch(imageId: string, requests: readonly AddRequest[]): Promise<PromiseSettledResult<Member>[]> {
    try {
      return await addLocked(imageId, requests);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      if (requests.length === 1) return [{ status: 'rejected', reason: duplicate(imageId, requests[0]!.memberId) }];
      const alone: PromiseSettledResult<Member>[] = [];
      for (const request of requests) {
        alone.push(...(await addBatch(imageId, [request]).catch((reason: unknown) => [{ status: 'rejected' as const, reason }])));
      }
      return alone;
    }
  }

  /**
   * Concurrent adds to one image are serialised by its lock anyway; those that arrive while one
   * batch holds it run together in the next, one transaction and one durable commit for all.
   */
  const adds = createKeyedBatches<AddRequest, Member>(addBatch, MAX_WRITES_PER_BATCH);

  return {
    async list(caller, imageId) {
      // Every row is read only for an admin or the owner: a member sees its own row alone.
      const read = await visibleImage(caller, imageId, { members: caller.isAdmin ? 'all' : 'if-caller-owns' });
      const { image } = read;
      if (image.visibility !== 'shared') {
        throw new ForbiddenError(`Not allowed to list members for image ${image.id}: Only shared images have members.`);
      }
      enforceMemberPolicy(policyMode, caller, image, 'get_members');
      if (caller.isAdmin || image.owner === caller.projectId) return read.members ?? [];
      return read.callerRow ? [read.callerRow] : [];
    },

    async show(caller, imageId, memberId) {
      const read = await visibleImage(caller, imageId, { memberId });
      const { image } = read;
      // Glance turns every Forbidden on this route into a 404, keeping the text.
      if (image.visibility !== 'shared') throw new NotFoundError('Only shared images have members.');
      try {
        enforceMemberPolicy(policyMode, caller, image, 'get_member');
      } catch (error) {
        if (error instanceof ForbiddenError) throw new NotFoundError(error.message);
        throw error;
      }
      return visibleRow(caller, read, memberId);
    },

    async add(caller, imageId, memberId) {
      const { image } = await visibleImage(caller, imageId);
      const refused = new ForbiddenError(`Not allowed to create members for image ${imageId}.`);
      if (image.visibility !== 'shared') throw refused;
      if (legacy && !caller.isAdmin && (image.owner === null || image.owner !== caller.projectId)) throw refused;
      enforceMemberPolicy(policyMode, caller, image, 'add_member');

      return adds.submit(image.id, { memberId, limit: memberLimitFor(image, deps.limits) });
    },

    async updateStatus(caller, imageId, memberId, status) {
      const read = await visibleImage(caller, imageId, { memberId });
      const { image } = read;
      const refused = new ForbiddenError(`Not allowed to update members for image ${imageId}.`);
      if (image.visibility !== 'shared') throw refused;
      if (legacy && !caller.isAdmin && image.owner === caller.projectId) throw refused;
      enforceMemberPolicy(policyMode, caller, image, 'get_member');
      visibleRow(caller, read, memberId);
      enforceMemberPolicy(policyMode, caller, image, 'modify_member');
      if (typeof status !== 'string' || !MEMBER_STATUSES.includes(status as MemberStatus)) {
        throw new BadRequestError('Incorrect request: Status must be "pending", "accepted" or "rejected".');
      }
      return statusChanges.submit(image.id, { memberId, status: status as MemberStatus, now: now() });
    },

    async remove(caller, imageId, memberId) {
      const read = await visibleImage(caller, imageId, { memberId });
      const { image } = read;
      const refused = new ForbiddenError(`Not allowed to delete members for image ${imageId}.`);
      if (image.visibility !== 'shared') throw refused;
      if (legacy && !caller.isAdmin && image.owner !== caller.projectId) throw refused;
      enforceMemberPolicy(policyMode, caller, image, 'get_member');
      visibleRow(caller, read, memberId);
      enforceMemberPolicy(policyMode, caller, image, 'delete_member');
      if (!(await members.remove(image.id, memberId))) throw memberNotFound(memberId, image.id);
    },
  };
}
