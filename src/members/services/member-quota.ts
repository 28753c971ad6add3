/**
 * The quota view of an image's members (`GET /v2/images/{id}/member-quota`, a path no Glance
 * client uses): the limit that applies, the configuration rule that chose it, how many members the
 * image has and how many more it may take. For the owner and admins, who decide on sharing; a
 * member of the image gets 403 and anyone else the 404 that hides the image, as on the member routes.
 */
import type { MemberLimitsConfig } from '../../base/config.ts';
import type { Caller } from '../../base/domain.ts';
import { ForbiddenError, NotFoundError } from '../../base/errors.ts';
import { canSeeImage } from '../../images/services/image-access.ts';
import type { MemberStore } from '../store/member-store.ts';
import { appliedMemberLimit, type AppliedLimit } from './member-limits.ts';

export interface MemberQuota {
  imageId: string;
  /** The limit that applies; undefined when unlimited (a negative limit in the configuration). */
  limit: number | undefined;
  /** The rule of `memberLimits.rules` that chose the limit; undefined when it is the default. */
  rule: AppliedLimit['rule'];
  /** Members of the image, in any status (each counts against the limit, as in Glance). */
  used: number;
  /** How many more members the image may take; undefined when unlimited. */
  remaining: number | undefined;
}

export interface MemberQuotaService {
  quota(caller: Caller, imageId: string): Promise<MemberQuota>;
}

export function createMemberQuotaService(deps: { members: MemberStore; limits: MemberLimitsConfig }): MemberQuotaService {
  return {
    async quota(caller, imageId) {
      const read = await deps.members.read(imageId, caller.projectId, { members: caller.isAdmin ? 'all' : 'if-caller-owns' });
      if (read === undefined || !canSeeImage(caller, read.image, read.callerRow !== undefined)) {
        throw new NotFoundError(`Image ${imageId} not found.`);
      }
      const { image } = read;
      if (!caller.isAdmin && image.owner !== caller.projectId) {
        throw new ForbiddenError(`Not allowed to read the member quota of image ${image.id}: only its owner may.`);
      }
      const { limit, rule } = appliedMemberLimit(image, deps.limits);
      const used = read.members?.length ?? 0;
      const unlimited = limit < 0;
      return {
        imageId: image.id,
        limit: unlimited ? undefined : limit,
        rule,
        used,
        remaining: unlimited ? undefined : Math.max(0, limit - used),
      };
    },
  };
}
