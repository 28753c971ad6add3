/**
 * Image members: every rule of Glance's member API (spec sections 3–7), each method read top to
 * bottom in Glance's order so that the first failure is Glance's: the image must be visible to
 * the caller (else 404, never revealing it), shared, and the caller must hold the right (owner to
 * add and remove, the member itself to accept or reject, in the configured policy mode); an add
 * then meets the image-type limit before the duplicate check. How writes are committed (the image
 * lock, group commit, the primary-key guard) is the store's business; the rules travel with each
 * add as its `decide` function, which the store runs under the lock.
 */
import { audited, NO_AUDIT, type AuditDraft, type AuditLog } from '../../base/audit.ts';
import type { Clock } from '../../base/clock.ts';
import type { MemberLimitsConfig, PolicyMode } from '../../base/config.ts';
import { MEMBER_STATUSES, type Caller, type Image, type Member, type MemberStatus } from '../../base/domain.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RequestEntityTooLargeError } from '../../base/errors.ts';
import { canSeeImage } from '../../images/services/image-access.ts';
import type { AddState, MemberRead, MemberReadOptions, MemberStore } from '../store/member-store.ts';
import { memberLimitFor } from './member-limits.ts';
import { enforceMemberPolicy, type MemberRule } from './member-policy.ts';

export interface MemberService {
  list(caller: Caller, imageId: string): Promise<Member[]>;
  show(caller: Caller, imageId: string, memberId: string): Promise<Member>;
  add(caller: Caller, imageId: string, memberId: string): Promise<Member>;
  /** `status` is the raw JSON value from the body: its check comes after the permission checks. */
  updateStatus(caller: Caller, imageId: string, memberId: string, status: unknown): Promise<Member>;
  remove(caller: Caller, imageId: string, memberId: string): Promise<void>;
}

/**
 * Which project ids exist, for the grantee check; the identity room provides it (app.ts): the
 * built-in directory, or Keystone in keystone mode. Absent when the check is off.
 */
export interface ProjectDirectory {
  projectExists(projectId: string): Promise<boolean>;
}

export interface MemberServiceDeps {
  members: MemberStore;
  /** When present, a member must be the id of an existing project (config `members.checkGranteeExists`). */
  projects?: ProjectDirectory;
  clock: Clock;
  policyMode: PolicyMode;
  limits: MemberLimitsConfig;
  /** Where every add, status change and removal is recorded, refused ones included; none if absent. */
  audit?: AuditLog;
}

const imageNotFound = (imageId: string): NotFoundError => new NotFoundError(`Image ${imageId} not found.`);
const memberNotFound = (memberId: string, imageId: string): NotFoundError =>
  new NotFoundError(`${memberId} not found in the member list of the image ${imageId}.`);
const duplicate = (imageId: string, memberId: string): ConflictError =>
  new ConflictError(`Member ${memberId} is duplicated for image ${imageId}`);
/** Glance's 413 for a full image; carries the limit that applied (the batch API reports it per pair). */
export class MemberLimitExceededError extends RequestEntityTooLargeError {
  constructor(
    imageId: string,
    attempted: number,
    readonly limit: number,
  ) {
    super(
      `Image member limit exceeded for image ${imageId}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${limit}:`,
    );
  }
}
const limitExceeded = (imageId: string, attempted: number, limit: number): RequestEntityTooLargeError =>
  new MemberLimitExceededError(imageId, attempted, limit);

const notAProject = (memberId: string): BadRequestError =>
  new BadRequestError(`Invalid member ${memberId}: no project has this id. A member must be the id of an existing project (not its name).`);

/** One add as the rules see it: the image, the member, the image's limit, and whether the member is a project. */
export interface AddRule {
  imageId: string;
  memberId: string;
  /** Negative: unlimited. */
  limit: number;
  /** False when the grantee check found no such project. */
  isProject: boolean;
}

/**
 * Glance's rule for one add, given the image's members as they stand at its turn: the limit first
 * (as Glance: a full image answers 413 even to a re-add), then a grantee that is no project, then
 * duplicates.
 */
export function decideAdd({ imageId, memberId, limit, isProject }: AddRule, state: AddState): Error | undefined {
  if (limit >= 0 && (state.memberCount ?? 0) + 1 > limit) return limitExceeded(imageId, (state.memberCount ?? 0) + 1, limit);
  if (!isProject) return notAProject(memberId);
  if (state.isMember) return duplicate(imageId, memberId);
  return undefined;
}

export function createMemberService(deps: MemberServiceDeps): MemberService {
  return new GlanceMemberService(deps);
}

class GlanceMemberService implements MemberService {
  private readonly legacy: boolean;

  constructor(private readonly deps: MemberServiceDeps) {
    this.legacy = deps.policyMode === 'legacy';
  }

  async list(caller: Caller, imageId: string): Promise<Member[]> {
    // Every row is read only for an admin or the owner: a member sees its own row alone.
    const read = await this.visibleImage(caller, imageId, { members: caller.isAdmin ? 'all' : 'if-caller-owns' });
    const { image } = read;
    if (image.visibility !== 'shared') {
      throw new ForbiddenError(`Not allowed to list members for image ${image.id}: Only shared images have members.`);
    }
    this.enforce(caller, image, 'get_members');
    if (caller.isAdmin || image.owner === caller.projectId) return read.members ?? [];
    return read.callerRow ? [read.callerRow] : [];
  }

  async show(caller: Caller, imageId: string, memberId: string): Promise<Member> {
    const read = await this.visibleImage(caller, imageId, { memberId });
    const { image } = read;
    // Glance turns every Forbidden on this route into a 404, keeping the text.
    if (image.visibility !== 'shared') throw new NotFoundError('Only shared images have members.');
    try {
      this.enforce(caller, image, 'get_member');
    } catch (error) {
      if (error instanceof ForbiddenError) throw new NotFoundError(error.message);
      throw error;
    }
    return visibleRow(caller, read, memberId);
  }

  add(caller: Caller, imageId: string, memberId: string): Promise<Member> {
    const draft: AuditDraft = { audit: 'member.add', image: imageId, member: memberId, newStatus: 'pending' };
    return audited(this.deps.audit ?? NO_AUDIT, caller, draft, () => this.addMember(caller, imageId, memberId));
  }

  updateStatus(caller: Caller, imageId: string, memberId: string, status: unknown): Promise<Member> {
    const draft: AuditDraft = { audit: 'member.status', image: imageId, member: memberId, oldStatus: null, newStatus: status };
    return audited(this.deps.audit ?? NO_AUDIT, caller, draft, () => this.setStatus(caller, imageId, memberId, status, draft));
  }

  remove(caller: Caller, imageId: string, memberId: string): Promise<void> {
    const draft: AuditDraft = { audit: 'member.remove', image: imageId, member: memberId, oldStatus: null };
    return audited(this.deps.audit ?? NO_AUDIT, caller, draft, () => this.removeMember(caller, imageId, memberId, draft));
  }

  private async addMember(caller: Caller, imageId: string, memberId: string): Promise<Member> {
    const { image } = await this.visibleImage(caller, imageId);
    const refused = new ForbiddenError(`Not allowed to create members for image ${imageId}.`);
    if (image.visibility !== 'shared') throw refused;
    if (this.legacy && !caller.isAdmin && (image.owner === null || image.owner !== caller.projectId)) throw refused;
    this.enforce(caller, image, 'add_member');
    // Only after the rights checks, so that only an image's owner learns whether a project exists.
    const isProject = this.deps.projects === undefined || (await this.deps.projects.projectExists(memberId));

    const limit = memberLimitFor(image, this.deps.limits);
    const request = { imageId: image.id, memberId, now: this.now(), countMembers: limit >= 0 };
    const added = await this.deps.members
      .add({ ...request, decide: (state) => decideAdd({ imageId: image.id, memberId, limit, isProject }, state) })
      .catch((error: unknown) => {
        // The primary key refused a row a racing add had just written: that add's duplicate.
        throw error instanceof ConflictError ? duplicate(image.id, memberId) : error;
      });
    if (added === undefined) throw imageNotFound(imageId);
    return added;
  }

  private async setStatus(caller: Caller, imageId: string, memberId: string, status: unknown, draft: AuditDraft): Promise<Member> {
    const read = await this.visibleImage(caller, imageId, { memberId });
    const { image } = read;
    const refused = new ForbiddenError(`Not allowed to update members for image ${imageId}.`);
    if (image.visibility !== 'shared') throw refused;
    if (this.legacy && !caller.isAdmin && image.owner === caller.projectId) throw refused;
    this.enforce(caller, image, 'get_member');
    draft.oldStatus = visibleRow(caller, read, memberId).status;
    this.enforce(caller, image, 'modify_member');
    // Any status may follow any other (Glance has no transition rules); only the value is checked.
    if (typeof status !== 'string' || !MEMBER_STATUSES.includes(status as MemberStatus)) {
      throw new BadRequestError('Incorrect request: Status must be "pending", "accepted" or "rejected".');
    }
    const updated = await this.deps.members.setStatus(image.id, { memberId, status: status as MemberStatus, now: this.now() });
    if (updated === undefined) throw memberNotFound(memberId, image.id);
    return updated;
  }

  private async removeMember(caller: Caller, imageId: string, memberId: string, draft: AuditDraft): Promise<void> {
    const read = await this.visibleImage(caller, imageId, { memberId });
    const { image } = read;
    const refused = new ForbiddenError(`Not allowed to delete members for image ${imageId}.`);
    if (image.visibility !== 'shared') throw refused;
    if (this.legacy && !caller.isAdmin && image.owner !== caller.projectId) throw refused;
    this.enforce(caller, image, 'get_member');
    draft.oldStatus = visibleRow(caller, read, memberId).status;
    this.enforce(caller, image, 'delete_member');
    if (!(await this.deps.members.remove(image.id, memberId))) throw memberNotFound(memberId, image.id);
  }

  /**
   * The image if the caller may see it (spec 6.1), otherwise Glance's 404; read in one round trip
   * together with the caller's own row (which the visibility rule needs) and what `options` asks for.
   */
  private async visibleImage(caller: Caller, imageId: string, options?: MemberReadOptions): Promise<MemberRead> {
    const read = await this.deps.members.read(imageId, caller.projectId, options);
    if (read === undefined || !canSeeImage(caller, read.image, read.callerRow !== undefined)) throw imageNotFound(imageId);
    return read;
  }

  private enforce(caller: Caller, image: Image, rule: MemberRule): void {
    enforceMemberPolicy(this.deps.policyMode, caller, image, rule);
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}

/** Owner and admin see every row; anyone else only its own (Glance's member repo proxy). */
function visibleRow(caller: Caller, { image, member }: MemberRead, memberId: string): Member {
  const mayRead = caller.isAdmin || image.owner === caller.projectId || memberId === caller.projectId;
  const row = mayRead ? member : undefined;
  if (row === undefined) throw memberNotFound(memberId, image.id);
  return row;
}
