/**
 * Glance's member policies in the two modes (spec section 4).
 *
 * legacy (Zed 25.1 defaults): every policy rule is OR-ed with an always-true deprecated rule, so
 * policies never refuse; hard-coded owner checks apply instead (`legacyOwnerCheck`).
 *
 * new-defaults (2023.1+): the rules below, each preceded by `get_image`, whose failure is a 404
 * with the generic text so that the image's existence is not revealed.
 */
import type { PolicyMode } from '../../base/config.ts';
import { ForbiddenError, NotFoundError } from '../../base/errors.ts';
import type { Caller, Image } from '../../base/domain.ts';

export type MemberRule = 'add_member' | 'delete_member' | 'get_member' | 'get_members' | 'modify_member';

export function enforceMemberPolicy(mode: PolicyMode, caller: Caller, image: Image, rule: MemberRule): void {
  if (mode === 'legacy' || caller.isAdmin) return;
  const has = (role: string): boolean => caller.roles.includes(role);
  const isOwner = image.owner === caller.projectId;
  // Glance's policy target puts the caller's project in `member_id` when it looks at a shared
  // image it does not own.
  const isMemberTarget = image.visibility === 'shared' && !isOwner;

  // get_image: role:reader and (owner or member or community/public/shared visibility).
  const visibleByPolicy = isOwner || isMemberTarget || image.visibility === 'public' || image.visibility === 'community';
  if (!has('reader') || !visibleByPolicy) throw new NotFoundError();

  let allowed: boolean;
  switch (rule) {
    case 'add_member':
    case 'delete_member':
      allowed = has('member') && isOwner;
      break;
    case 'get_member':
    case 'get_members':
      allowed = isOwner || isMemberTarget;
      break;
    case 'modify_member':
      allowed = has('member') && isMemberTarget;
      break;
  }
  if (!allowed) throw new ForbiddenError(`You are not authorized to complete ${rule} action.`);
}
