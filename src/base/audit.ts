/**
 * The audit port: one record for every attempt to change who can see an image (members added,
 * their status changed, members removed, images created, deleted or their visibility changed)
 * and every login to the built-in identity, whether it succeeded or was refused. Services take an
 * `AuditLog` as a plain dependency and call `record`; the composition implements it (over pino,
 * http/audit-log.ts). Never a password or a token in an event.
 */
import type { Caller } from './domain.ts';
import { ApiError } from './errors.ts';

export type SharingAction = 'member.add' | 'member.status' | 'member.remove' | 'image.create' | 'image.delete' | 'image.visibility';

/**
 * `success`; `refused` by a rule (an API error, with its HTTP status and message); `error`: failed
 * otherwise (an internal error, logged by the error handler); logins say `failure` for any refusal.
 */
export type AuditOutcome = 'success' | 'refused' | 'error';

/** Who acted: the caller's user and project ids (null when unknown). */
export interface AuditActor {
  user: string | null;
  project: string | null;
}

/** One change to sharing, attempted. Fields that do not apply to the action are absent. */
export interface SharingAuditEvent {
  audit: SharingAction;
  actor: AuditActor;
  /** The image id (null for a create refused before the image had one). */
  image: string | null;
  /** member.*: the member (project id). */
  member?: string;
  /** member.status, member.remove: the member's status before (null when not reached). */
  oldStatus?: string | null;
  /** member.add: `pending`; member.status: the status asked for. */
  newStatus?: unknown;
  /** image.visibility: the visibility before (null when not reached). */
  oldVisibility?: string | null;
  /** image.create, image.visibility: the visibility asked for, or the one the image got. */
  newVisibility?: unknown;
  outcome: AuditOutcome;
  /** HTTP status of a refusal. */
  status?: number;
  /** The refusal's message, as answered. */
  reason?: string;
  requestId: string | null;
}

/** How a login named the user or the project: by id, or by name within a domain given by id or name. */
export interface LoginRef {
  id?: string;
  name?: string;
  domain?: { id?: string; name?: string };
}

/** One attempt at `POST /identity/v3/auth/tokens`. */
export interface LoginAuditEvent {
  audit: 'identity.login';
  /** The password method's user as given; absent for a token-only request. */
  user?: LoginRef;
  /** The project scope as given; absent without one. */
  scope?: LoginRef;
  methods: string[];
  /** On success: the user and project the token was issued for. */
  actor?: AuditActor;
  /** `failure`: refused (400 or 401); `error`: failed otherwise. */
  outcome: 'success' | 'failure' | 'error';
  status?: number;
  reason?: string;
  requestId: string | null;
}

export type AuditEvent = SharingAuditEvent | LoginAuditEvent;

/** Where audit events go. `record` must not throw. */
export interface AuditLog {
  record(event: AuditEvent): void;
}

/** For services built without one (unit tests). */
export const NO_AUDIT: AuditLog = { record: () => undefined };

/** A sharing event before its outcome is known; the work may fill in what it learns (old values). */
export type AuditDraft = Omit<SharingAuditEvent, 'outcome' | 'status' | 'reason' | 'actor' | 'requestId'>;

/** Runs `work` and records the event with its outcome; the work's result or error passes through unchanged. */
export async function audited<T>(audit: AuditLog, caller: Caller, draft: AuditDraft, work: (draft: AuditDraft) => Promise<T>): Promise<T> {
  const actor = { user: caller.userId ?? null, project: caller.projectId };
  const event = (outcome: Pick<SharingAuditEvent, 'outcome' | 'status' | 'reason'>): SharingAuditEvent => {
    const { audit: action, ...details } = draft;
    return { audit: action, actor, ...details, ...outcome, requestId: caller.requestId ?? null };
  };
  try {
    const result = await work(draft);
    audit.record(event({ outcome: 'success' }));
    return result;
  } catch (error) {
    audit.record(event(refusal(error)));
    throw error;
  }
}

/** The outcome fields of a failed attempt. */
export function refusal(error: unknown): { outcome: 'refused' | 'error'; status?: number; reason?: string } {
  return error instanceof ApiError ? { outcome: 'refused', status: error.status, reason: error.message } : { outcome: 'error' };
}
