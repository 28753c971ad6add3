/**
 * Establishes the caller for every `/v2` request, or answers webob's 401, in the configured mode:
 * - builtin: `X-Auth-Token` is validated by the identity service (never trusted as is).
 * - keystone: `X-Auth-Token` is validated by a real Keystone (services/keystone-authenticator.ts);
 *   a 401 then names that Keystone in `WWW-Authenticate`, as keystonemiddleware does, so a client
 *   knows where to get a token. A Keystone outage is the authenticator's 503, not a 401.
 * - trusted-headers: the identity headers a trusted proxy sets (trusted-headers.ts).
 */
import type { RequestHandler } from 'express';
import type { AuthMode } from '../../base/config.ts';
import type { Caller } from '../../base/domain.ts';
import { UnauthorizedError } from '../../base/errors.ts';
import { setCaller } from '../../http/caller.ts';
import type { TokenAuthenticator } from '../services/token-authenticator.ts';
import { callerFromTrustedHeaders } from './trusted-headers.ts';

/** The mode, the token validation of builtin and keystone mode, and the Keystone to name in a 401. */
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

/** The `/v2` middleware: sets the caller (http/caller.ts) or throws the 401. */
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
