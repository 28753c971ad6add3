/**
 * What a built-in token means now: the contents of Keystone's token document (TokenInfo) and the
 * caller it stands for, derived from a stored TokenRecord and the directory as it is at that moment.
 * Shared by the issuing half (token-issuer.ts) and the validating half (token-validator.ts) of the
 * identity service, together with Keystone's 401 and the token hashing both must agree on.
 */
import { createHash } from 'node:crypto';
import type { DomainConfig, ProjectConfig, UserConfig } from '../../base/config.ts';
import type { Caller } from '../../base/domain.ts';
import { UnauthorizedError } from '../../base/errors.ts';
import type { TokenRecord } from '../store/token-store.ts';
import type { IdentityDirectory, Role } from './directory.ts';

/** Keystone's text for every authentication failure (it never says which part was wrong). */
export const KEYSTONE_UNAUTHORIZED_TEXT = 'The request you have made requires authentication.';

/** Keystone's 401, the answer to every failed authentication. */
export function unauthorized(): UnauthorizedError {
  return new UnauthorizedError(KEYSTONE_UNAUTHORIZED_TEXT);
}

/** The key a token is stored and cached under (hex SHA-256): the token itself is never kept. */
export function tokenHashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** What a valid token stands for: everything the Keystone token document shows. */
export interface TokenInfo {
  methods: string[];
  user: UserConfig;
  userDomain: DomainConfig;
  project: ProjectConfig;
  projectDomain: DomainConfig;
  roles: Role[];
  /** The token's own audit id, then the one it was re-issued from (Keystone's audit chain). */
  auditIds: string[];
  issuedAt: string;
  expiresAt: string;
}

/** A token that is valid now: its document, the caller it stands for, and the stored record. */
export interface ResolvedToken {
  info: TokenInfo;
  caller: Caller;
  record: TokenRecord;
}

/**
 * The token's meaning at `nowMs`: undefined once it expired, or once its user (or that user's
 * enabled flag), project or roles went away. Roles are re-read from the directory every time, so
 * a configuration change applies to tokens already issued.
 */
export function describeToken(directory: IdentityDirectory, record: TokenRecord, nowMs: number): ResolvedToken | undefined {
  if (Date.parse(record.expiresAt) <= nowMs) return undefined;
  const user = directory.userById(record.userId);
  const project = directory.projectById(record.projectId);
  if (user === undefined || !user.enabled || project === undefined) return undefined;
  const userDomain = directory.domainById(user.domain);
  const projectDomain = directory.domainById(project.domain);
  const roles = directory.rolesOn(user.id, project.id);
  if (userDomain === undefined || projectDomain === undefined || roles.length === 0) return undefined;
  const auditIds = record.parentAuditId === undefined ? [record.auditId] : [record.auditId, record.parentAuditId];
  const info: TokenInfo = {
    methods: record.methods,
    user,
    userDomain,
    project,
    projectDomain,
    roles,
    auditIds,
    issuedAt: record.issuedAt,
    expiresAt: record.expiresAt,
  };
  const roleNames = roles.map((role) => role.name);
  const caller: Caller = { projectId: project.id, userId: user.id, roles: roleNames, isAdmin: roleNames.includes('admin') };
  return { info, caller, record };
}
