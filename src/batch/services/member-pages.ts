/**
 * The IMS member reads (`GET /v1/{project_id}/cloudimages/{image_id}/members[/{member_id}]`) over
 * the member service, so that they see exactly what /v2 shows (owner and admin every row, a
 * recipient its own), paged with IMS's `limit` and opaque base64 `marker`, errors as IMG codes.
 */
import type { Caller, Member } from '../../base/domain.ts';
import { ApiError, ImsError } from '../../base/errors.ts';
import type { MemberService } from '../../members/services/member-service.ts';

export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 1000;

export interface MemberPage {
  members: Member[];
  /** The marker of the next page; undefined on the last one. */
  nextMarker: string | undefined;
}

export interface MemberPages {
  list(caller: Caller, imageId: string, limit: number, marker: string | undefined): Promise<MemberPage>;
  show(caller: Caller, imageId: string, memberId: string): Promise<Member>;
}

/** The member service's refusals in the provider's vocabulary. */
function asImsError(imageId: string, error: unknown): unknown {
  if (!(error instanceof ApiError) || error instanceof ImsError) return error;
  if (error.status === 404 && error.message === `Image ${imageId} not found.`) {
    return new ImsError(404, 'IMG.0027', 'The image ID in the request does not exist.');
  }
  if (error.status === 403) return new ImsError(403, 'IMG.0161', `You do not have permission. ${error.message}`);
  if (error.status === 404) return new ImsError(404, 'IMG.0086', error.message);
  return error;
}

export const markerOf = (memberId: string): string => Buffer.from(memberId, 'utf8').toString('base64');

function memberIdOfMarker(marker: string): string {
  const memberId = /^[A-Za-z0-9+/]+={0,2}$/.test(marker) ? Buffer.from(marker, 'base64').toString('utf8') : '';
  if (memberId === '' || markerOf(memberId) !== marker) {
    throw new ImsError(400, 'IMG.0001', 'The request message format is invalid: marker must be a base64 value from page_info.next_marker.');
  }
  return memberId;
}

export function createMemberPages(members: MemberService): MemberPages {
  return {
    async list(caller, imageId, limit, marker) {
      const all = await members.list(caller, imageId).catch((error: unknown) => {
        throw asImsError(imageId, error);
      });
      let start = 0;
      if (marker !== undefined) {
        const after = memberIdOfMarker(marker);
        const index = all.findIndex((member) => member.memberId === after);
        if (index < 0)
          throw new ImsError(400, 'IMG.0001', `The request message format is invalid: marker names no member of image ${imageId}.`);
        start = index + 1;
      }
      const page = all.slice(start, start + limit);
      const last = page[page.length - 1];
      return { members: page, nextMarker: start + limit < all.length && last !== undefined ? markerOf(last.memberId) : undefined };
    },
    show(caller, imageId, memberId) {
      return members.show(caller, imageId, memberId).catch((error: unknown) => {
        throw asImsError(imageId, error);
      });
    },
  };
}
