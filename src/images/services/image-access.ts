/**
 * Glance's image visibility rule (spec section 6.1), shared by the image and member services:
 * admin; or no owner; or public/community; or owner; or shared with a live member row for the
 * caller's project, whatever its status.
 */
import type { Caller, Image } from '../../base/domain.ts';

/** Whether `caller` may see `image`; `callerHasMemberRow`: its project has a live member row on it. */
export function canSeeImage(caller: Caller, image: Image, callerHasMemberRow: boolean): boolean {
  if (caller.isAdmin) return true;
  if (image.owner === null) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  if (image.owner === caller.projectId) return true;
  return image.visibility === 'shared' && callerHasMemberRow;
}
