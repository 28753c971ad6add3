/** The wire shapes of the IMS v1 calls: jobs (ms timestamps) and members (second precision, `member_type`). */
import type { Member } from '../../base/domain.ts';
import type { JobRecord } from '../services/batch-service.ts';

/** ShowJob's body (spec section 6.1), in the provider's key order. */
export function jobView(job: JobRecord): Record<string, unknown> {
  return {
    job_id: job.id,
    job_type: job.jobType,
    begin_time: job.beginTime,
    end_time: job.endTime,
    status: job.status,
    error_code: job.errorCode,
    fail_reason: job.failReason,
    entities: { results: job.results },
  };
}

const seconds = (iso: string): string => `${iso.slice(0, 19)}Z`;

export function memberView(member: Member): Record<string, string> {
  return {
    status: member.status,
    created_at: seconds(member.createdAt),
    updated_at: seconds(member.updatedAt),
    image_id: member.imageId,
    member_id: member.memberId,
    schema: '/v2/schemas/member',
    member_type: 'project',
  };
}

export function membersView(members: readonly Member[], nextMarker: string | undefined): Record<string, unknown> {
  return {
    members: members.map(memberView),
    schema: '/v2/schemas/members',
    page_info: { next_marker: nextMarker ?? null, current_count: members.length },
  };
}
