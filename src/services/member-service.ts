/**
 * Image members: every rule of Glance's member API (spec sections 3–7) — visibility, owner and
 * member rights, the policy mode, the member limit, duplicates, and 404-not-403 wherever the
 * caller cannot see the image. Checks run in Glance's order, so the first failure is Glance's.
 */
import type { Clock } from '../clock.ts';
import type { MemberLimitsConfig, PolicyMode } from '../config.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RequestEntityTooLargeError } from '../errors.ts';
import type { MemberStore } from '../store/member-store.ts';
import { canSeeImage } from './image-access.ts';
import { memberLimitFor } from './member-limits.ts';
import { enforceMemberPolicy } from './member-policy.ts';
import { MEMBER_STATUSES, type Caller, type Image, type Member, type MemberStatus } from './types.ts';

export interface ImageLookup {
  findById(id: string): Promise<Image | undefined>;
}

export interface MemberService {
  list(caller: Caller, imageId: string): Promise<Member[]>;
  show(caller: Caller, imageId: string, memberId: string): Promise<Member>;
  add(caller: Caller, imageId: string, memberId: string): Promise<Member>;
  /** `status` is the raw JSON value from the body: its check comes after the permission checks. */
  updateStatus(caller: Caller, imageId: string, memberId: string, status: unknown): Promise<Member>;
  remove(caller: Caller, imageId: string, memberId: string): Promise<void>;
}

export interface MemberServiceDeps {
  images: ImageLookup;
  members: MemberStore;
  clock: Clock;
  policyMode: PolicyMode;
  limits: MemberLimitsConfig;
}

const imageNotFound = (imageId: string): NotFoundError => new NotFoundError(`Image ${imageId} not found.`);
const memberNotFound = (memberId: string, imageId: string): NotFoundError =>
  new NotFoundError(`${memberId} not found in the member list of the image ${imageId}.`);

export function createMemberService(deps: MemberServiceDeps): MemberService {
  const { images, members, clock, policyMode } = deps;
  const legacy = policyMode === 'legacy';

  /** The image if the caller may see it (spec 6.1); otherwise Glance's 404. */
  async function visibleImage(caller: Caller, imageId: string): Promise<Image> {
    const image = await images.findById(imageId);
    if (image === undefined) throw imageNotFound(imageId);
    const needsMemberRow = !caller.isAdmin && image.visibility === 'shared' && image.owner !== null && image.owner !== caller.projectId;
    const hasRow = needsMemberRow ? (await members.find(image.id, caller.projectId)) !== undefined : false;
    if (!canSeeImage(caller, image, hasRow)) throw imageNotFound(imageId);
    return image;
  }

  /** Owner and admin see every row; anyone else only its own (Glance's member repo proxy). */
  async function visibleRow(caller: Caller, image: Image, memberId: string): Promise<Member> {
    const mayRead = caller.isAdmin || image.owner === caller.projectId || memberId === caller.projectId;
    const row = mayRead ? await members.find(image.id, memberId) : undefined;
    if (row === undefined) throw memberNotFound(memberId, image.id);
    return row;
  }

  const now = (): string => clock.now().toISOString();

  return {
    async list(caller, imageId) {
      const image = await visibleImage(caller, imageId);
      if (image.visibility !== 'shared') {
        throw new ForbiddenError(`Not allowed to list members for image ${image.id}: Only shared images have members.`);
      }
      enforceMemberPolicy(policyMode, caller, image, 'get_members');
      if (caller.isAdmin || image.owner === caller.projectId) return members.list(image.id);
      const own = await members.find(image.id, caller.projectId);
      return own ? [own] : [];
    },

    async show(caller, imageId, memberId) {
      const image = await visibleImage(caller, imageId);
      // Glance turns every Forbidden on this route into a 404, keeping the text.
      if (image.visibility !== 'shared') throw new NotFoundError('Only shared images have members.');
      try {
        enforceMemberPolicy(policyMode, caller, image, 'get_member');
      } catch (error) {
        if (error instanceof ForbiddenError) throw new NotFoundError(error.message);
        throw error;
      }
      return visibleRow(caller, image, memberId);
    },

    async add(caller, imageId, memberId) {
      const image = await visibleImage(caller, imageId);
      const refused = new ForbiddenError(`Not allowed to create members for image ${imageId}.`);
      if (image.visibility !== 'shared') throw refused;
      if (legacy && !caller.isAdmin && (image.owner === null || image.owner !== caller.projectId)) throw refused;
      enforceMemberPolicy(policyMode, caller, image, 'add_member');

      const limit = memberLimitFor(image, deps.limits);
      const duplicate = (): ConflictError => new ConflictError(`Member ${memberId} is duplicated for image ${imageId}`);
      let added: Member | undefined;
      try {
        added = await members.withImageLock(image.id, async (locked) => {
          // The limit is checked before duplicates, as Glance does (a full image answers 413 to a re-add).
          const attempted = (await locked.countLive(image.id)) + 1;
          if (limit >= 0 && attempted > limit) {
            throw new RequestEntityTooLargeError(
              `Image member limit exceeded for image ${imageId}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${limit}:`,
            );
          }
          const existing = await locked.findAny(image.id, memberId);
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
      const image = await visibleImage(caller, imageId);
      const refused = new ForbiddenError(`Not allowed to update members for image ${imageId}.`);
      if (image.visibility !== 'shared') throw refused;
      if (legacy && !caller.isAdmin && image.owner === caller.projectId) throw refused;
      enforceMemberPolicy(policyMode, caller, image, 'get_member');
      await visibleRow(caller, image, memberId);
      enforceMemberPolicy(policyMode, caller, image, 'modify_member');
      if (typeof status !== 'string' || !MEMBER_STATUSES.includes(status as MemberStatus)) {
        throw new BadRequestError('Incorrect request: Status must be "pending", "accepted" or "rejected".');
      }
      const updated = await members.updateStatus(image.id, memberId, status as MemberStatus, now());
      if (updated === undefined) throw memberNotFound(memberId, image.id);
      return updated;
    },

    async remove(caller, imageId, memberId) {
      const image = await visibleImage(caller, imageId);
      const refused = new ForbiddenError(`Not allowed to delete members for image ${imageId}.`);
      if (image.visibility !== 'shared') throw refused;
      if (legacy && !caller.isAdmin && image.owner !== caller.projectId) throw refused;
      enforceMemberPolicy(policyMode, caller, image, 'get_member');
      await visibleRow(caller, image, memberId);
      enforceMemberPolicy(policyMode, caller, image, 'delete_member');
      if (!(await members.remove(image.id, memberId))) throw memberNotFound(memberId, image.id);
    },
  };
}
