/**
 * auth.mode "trusted-headers": the caller as keystonemiddleware describes it in the identity
 * headers it sets (`X-Identity-Status`, `X-Project-Id`, `X-User-Id`, `X-Roles`). Only for
 * deployments where a trusted proxy validates tokens and strips these headers from client
 * requests; anyone who can reach the service directly could otherwise claim any project.
 */
import type { Request } from 'express';
import type { Caller } from '../../base/domain.ts';

/**
 * Longest project id taken from the headers: Keystone's are at most 64 characters, and an image's
 * owner column holds 255 (longer ones made PostgreSQL refuse the image insert, a 500).
 */
const MAX_PROJECT_ID_LENGTH = 255;

/** `X-Roles` as keystonemiddleware writes it (comma-separated names) → lower-cased role names. */
export function parseRoles(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((role) => role.trim().toLowerCase())
    .filter((role) => role !== '');
}

/** The caller the headers describe; undefined unless the identity is confirmed and names a usable project. */
export function callerFromTrustedHeaders(req: Request): Caller | undefined {
  if (req.get('x-identity-status') !== 'Confirmed') return undefined;
  const projectId = req.get('x-project-id') ?? req.get('x-tenant-id');
  if (projectId === undefined || projectId === '' || projectId.length > MAX_PROJECT_ID_LENGTH) return undefined;
  const roles = parseRoles(req.get('x-roles'));
  return { projectId, userId: req.get('x-user-id'), roles, isAdmin: roles.includes('admin') };
}
