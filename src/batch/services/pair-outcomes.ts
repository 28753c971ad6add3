/**
 * One image × project pair of a batch job, run through the member service (so that every Glance
 * rule, the per-type limits, the grantee check and the group commit under the image lock hold as
 * for a single /v2 call), and its ApiError turned into the pair's outcome.
 */
import type { Caller } from '../../base/domain.ts';
import { ApiError } from '../../base/errors.ts';
import { MemberLimitExceededError, type MemberService } from '../../members/services/member-service.ts';

export type BatchKind = 'add' | 'remove' | 'update';

export type PairOutcome =
  | 'created'
  | 'already_member'
  | 'updated'
  | 'removed'
  | 'not_member'
  | 'quota_exceeded'
  | 'image_not_found'
  | 'forbidden'
  | 'invalid_project'
  | 'error';

/** One entry of a job's `entities.results`, in wire form: the provider's fields, then ours. */
export interface PairResult {
  image_id: string;
  project_id: string;
  status: 'success' | 'failed';
  outcome: PairOutcome;
  message?: string;
  limit?: number;
}

/** Outcomes that leave the pair in the state the call asked for: the pair succeeded. */
const WANTED: ReadonlySet<PairOutcome> = new Set(['created', 'already_member', 'updated', 'removed', 'not_member']);

/**
 * Project ids a member may have: what Keystone and the trusted headers produce (hex ids, names such
 * as `p-owner`), no spaces, slashes or control characters, 1 to 255 characters.
 */
const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,254}$/;

export function isValidProjectId(projectId: string): boolean {
  return PROJECT_ID.test(projectId);
}

function result(
  kind: BatchKind,
  [imageId, projectId]: [string, string],
  outcome: PairOutcome,
  extra: { message?: string; limit?: number } = {},
): PairResult {
  // Not a member is the wanted state of a removal, but a status change needs the row.
  const success = WANTED.has(outcome) && !(kind === 'update' && outcome === 'not_member');
  return { image_id: imageId, project_id: projectId, status: success ? 'success' : 'failed', outcome, ...extra };
}

/** The member service's error for one pair as its outcome (404 split by whose absence it reports). */
function outcomeOf(kind: BatchKind, imageId: string, error: unknown): { outcome: PairOutcome; limit?: number } {
  if (error instanceof MemberLimitExceededError) return { outcome: 'quota_exceeded', limit: error.limit };
  if (!(error instanceof ApiError)) return { outcome: 'error' };
  switch (error.status) {
    case 409:
      return { outcome: kind === 'add' ? 'already_member' : 'error' };
    case 413:
      return { outcome: 'quota_exceeded' };
    case 404:
      return { outcome: error.message === `Image ${imageId} not found.` ? 'image_not_found' : 'not_member' };
    case 403:
      return { outcome: 'forbidden' };
    case 400:
      return { outcome: 'invalid_project' };
    default:
      return { outcome: 'error' };
  }
}

const DONE: Record<BatchKind, PairOutcome> = { add: 'created', remove: 'removed', update: 'updated' };

/** Runs one pair; never throws (an unexpected error is the pair's `error` outcome). */
export async function runPair(
  members: MemberService,
  caller: Caller,
  kind: BatchKind,
  pair: { imageId: string; projectId: string; status?: string | undefined },
): Promise<PairResult> {
  const { imageId, projectId } = pair;
  if (!isValidProjectId(projectId)) {
    return result(kind, [imageId, projectId], 'invalid_project', { message: `The project ID is incorrect: ${JSON.stringify(projectId)}.` });
  }
  try {
    if (kind === 'add') await members.add(caller, imageId, projectId);
    else if (kind === 'remove') await members.remove(caller, imageId, projectId);
    else await members.updateStatus(caller, imageId, projectId, pair.status);
    return result(kind, [imageId, projectId], DONE[kind]);
  } catch (error) {
    const { outcome, limit } = outcomeOf(kind, imageId, error);
    const message = error instanceof ApiError ? error.message : 'The member could not be changed (internal error).';
    return result(kind, [imageId, projectId], outcome, limit === undefined ? { message } : { message, limit });
  }
}

/** The provider's code for a failed outcome, used as the job's `error_code`. */
export function imsCodeOfOutcome(kind: BatchKind, outcome: PairOutcome): string {
  switch (outcome) {
    case 'image_not_found':
      return 'IMG.0027';
    case 'forbidden':
      return kind === 'update' ? 'IMG.0161' : 'IMG.0047';
    case 'quota_exceeded':
      return 'IMG.0088';
    case 'invalid_project':
      return 'IMG.0067';
    case 'not_member':
      return 'IMG.0161';
    default:
      return kind === 'remove' ? 'IMG.0113' : 'IMG.0112';
  }
}

/** The job's verdict over its pairs: SUCCESS when every pair succeeded, else FAIL with a summary. */
export function verdict(
  kind: BatchKind,
  results: readonly PairResult[],
): { status: 'SUCCESS' | 'FAIL'; errorCode: string | null; failReason: string | null } {
  const failed = results.filter((entry) => entry.status === 'failed');
  const first = failed[0];
  if (first === undefined) return { status: 'SUCCESS', errorCode: null, failReason: null };
  const reason =
    `${failed.length} of ${results.length} image/project pairs failed; first: image ${first.image_id}, ` +
    `project ${first.project_id}: ${first.outcome}${first.message === undefined ? '' : ` (${first.message})`}`;
  return { status: 'FAIL', errorCode: imsCodeOfOutcome(kind, first.outcome), failReason: reason };
}
