/** The wire format of members: Glance's key order and second-precision `Z` timestamps. */
import type { Member } from '../services/types.ts';

/** `2026-11-23T02:08:11.123Z` → `2026-11-23T02:08:11Z`. */
export function glanceTimestamp(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

export function toMemberView(member: Member): Record<string, string> {
  return {
    member_id: member.memberId,
    image_id: member.imageId,
    status: member.status,
    created_at: glanceTimestamp(member.createdAt),
    updated_at: glanceTimestamp(member.updatedAt),
    schema: '/v2/schemas/member',
  };
}

export function toMembersView(members: readonly Member[]): { members: Array<Record<string, string>>; schema: string } {
  return { members: members.map(toMemberView), schema: '/v2/schemas/members' };
}
