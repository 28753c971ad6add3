/**
 * Establishes the caller for every `/v2` request, or answers webob's 401.
 * - builtin: `X-Auth-Token` is validated by the identity service (never trusted as is).
 * - keystone: `X-Auth-Token` is validated by a real Keystone (services/keystone-authenticator.ts);
 *   a 401 then names that Keystone in `WWW-Authenticate`, as keystonemiddleware does, so a client
 *   knows where to get a token. A Keystone outage is the authenticator's 503, not a 401.
 * - trusted-headers: the identity headers keystonemiddleware sets. Only for deployments where a
 *   trusted proxy validates tokens and strips these headers from client requests; anyone who can
 *   reach the service directly could otherwise claim any project.
 */
import type { Request, RequestHandler } from 'express';
import type { AuthMode } from '../../base/config.ts';
import { UnauthorizedError } from '../../base/errors.ts';
import type { Caller } from '../../base/domain.ts';
import type { TokenAuthenticator } from '../services/token-authenticator.ts';
import { setCaller } from '../../http/caller.ts';

export function parseRoles(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((role) => role.trim().toLowerCase())
    .filter((role) => role !== '');
}

/**
 * Longest project id taken from the headers: Keystone's are at most 64 characters, and an image's
 * owner column holds 255 (longer ones made PostgreSQL refuse the image insert, a 500).
 */
const MAX_PROJECT_ID_LENGTH = 255;

function callerFromTrustedHeaders(req: Request): Caller | undefined {
  if (req.get('x-identity-status') !== 'Confirmed') return undefined;
  const projectId = req.get('x-project-id') ?? req.get('x-tenant-id');
  if (projectId === undefined || projectId === '' || projectId.length > MAX_PROJECT_ID_LENGTH) return undefined;
  const roles = parseRoles(req.get('x-roles'));
  return { projectId, userId: req.get('x-user-id'), roles, isAdmin: roles.includes('admin') };
}

export interface AuthenticateDeps {
  mode: AuthMode;
  tokens: TokenAuthenticator;
  /** keystone mode: the Keystone v3 URL; its unversioned form goes into `WWW-Authenticate`. */
  keystoneUrl?: string;
}

/** keystonemiddleware's challenge: `Keystone uri="<www_authenticate_uri>"`, the unversioned Keystone URL. */
export function keystoneChallenge(keystoneUrl: string): string {
  return `Keystone uri="${keystoneUrl.replace(/\/+$/, '').replace(/\/v3$/, '')}"`;
}

export function createAuthenticateMiddleware(deps: AuthenticateDeps): RequestHandler {
  const challenge = deps.mode === 'keystone' && deps.keystoneUrl !== undefined ? keystoneChallenge(deps.keystoneUrl) : undefined;
  return async (req, res, next) => {
    let caller: Caller | undefined;
    if (deps.mode === 'trusted-headers') {
      caller = callerFromTrustedHeaders(req);
    } else {
      const token = req.get('x-auth-token');
      if (token !== undefined && token !== '') caller = await deps.tokens.authenticateToken(token);
    }
    if (caller === undefined) {
      if (challenge !== undefined) res.setHeader('WWW-Authenticate', challenge);
      throw new UnauthorizedError();
    }
    setCaller(res, caller);
    next();
  };
}
