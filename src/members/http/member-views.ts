/** The wire format of members: Glance's key order and second-precision `Z` timestamps. */
import type { Member } from '../../base/domain.ts';
import type { MemberQuota } from '../services/member-quota.ts';

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

/**
 * `pythonJson(toMemberView(member))`, byte for byte, without building the view: the keys are
 * constant, so only the four variable strings go through JSON.stringify. Member lists run this
 * for every row (128 by default), where the generic serializer dominated the request's cost.
 */
function memberJson(member: Member, imageIdJson: string): string {
  return (
    `{"member_id": ${JSON.stringify(member.memberId)}, "image_id": ${imageIdJson}, "status": ${JSON.stringify(member.status)}, ` +
    `"created_at": ${JSON.stringify(glanceTimestamp(member.createdAt))}, "updated_at": ${JSON.stringify(glanceTimestamp(member.updatedAt))}, ` +
    '"schema": "/v2/schemas/member"}'
  );
}

/** The JSON text of `toMemberView(member)` as Glance writes it (see respond.ts pythonJson). */
export function memberViewJson(member: Member): string {
  return memberJson(member, JSON.stringify(member.imageId));
}

/** The JSON text of `toMembersView(members)` as Glance writes it (see respond.ts pythonJson). */
export function membersViewJson(members: readonly Member[]): string {
  let out = '{"members": [';
  for (let i = 0; i < members.length; i++) {
    const member = members[i]!;
    if (i > 0) out += ', ';
    out += memberJson(member, JSON.stringify(member.imageId));
  }
  return `${out}], "schema": "/v2/schemas/members"}`;
}

/** The quota view: `limit` and `remaining` are null when unlimited, `rule` null for the default limit. */
export function memberQuotaView(quota: MemberQuota): Record<string, unknown> {
  return {
    image_id: quota.imageId,
    limit: quota.limit ?? null,
    rule: quota.rule ?? null,
    used: quota.used,
    remaining: quota.remaining ?? null,
  };
}
