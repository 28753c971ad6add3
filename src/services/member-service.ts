/**
 * Image members: every rule of Glance's member API (spec sections 3–7) — visibility, owner and
 * member rights, the policy mode, the member limit, duplicates, and 404-not-403 wherever the
 * caller cannot see the image. Checks run in Glance's order, so the first failure is Glance's.
 */
import type { Clock } from '../clock.ts';
import type { MemberLimitsConfig, PolicyMode } from '../config.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RequestEntityTooLargeError } from '../errors.ts';
import type { MemberRead, MemberReadOptions, MemberStore } from '../store/member-store.ts';
import { canSeeImage } from './image-access.ts';
import { memberLimitFor } from './member-limits.ts';
import { enforceMemberPolicy } from './member-policy.ts';
import { MEMBER_STATUSES, type Caller, type Member, type MemberStatus } from './types.ts';

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

      const limit = memberLimitFor(image, deps.limits);
      const duplicate = (): ConflictError => new ConflictError(`Member ${memberId} is duplicated for image ${imageId}`);
      let added: Member | undefined;
      try {
        // Counting reads every row of the image: only done when there is a limit to check.
        added = await members.withImageLock(image.id, memberId, { countLive: limit >= 0 }, async (locked, { live, existing }) => {
          // The limit is checked before duplicates, as Glance does (a full image answers 413 to a re-add).
          const attempted = (live ?? 0) + 1;
          if (limit >= 0 && attempted > limit) {
            throw new RequestEntityTooLargeError(
              `Image member limit exceeded for image ${imageId}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${limit}:`,
            );
          }
          if (existing && !existing.deleted) throw duplicate();
          const at = now();
          if (existing) return locked.revive(image.id, memberId, at);
          return locked.insert({ imageId: image.id, memberId, status: 'pending', createdAt: at, updatedAt: at });
        });
      } catch (error) {
        // The primary key is the last guard against a racing duplicate.
        if (error instanceof ConflictError) throw duplicate();
        throw error;
      }
      if (added === undefined) throw imageNotFound(imageId);
      return added;
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
      const updated = await members.updateStatus(image.id, memberId, status as MemberStatus, now());
      if (updated === undefined) throw memberNotFound(memberId, image.id);
      return updated;
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
