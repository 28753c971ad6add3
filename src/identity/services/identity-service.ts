/**
 * The built-in, Keystone-v3-compatible identity, assembled: issues project-scoped tokens for the
 * users in the configuration (token-issuer.ts), validates and revokes them (token-validator.ts),
 * and answers the few directory reads the OpenStack clients make (directory-reads.ts). Tokens are
 * random strings stored only as SHA-256 hashes (store/token-store.ts); validated tokens are cached
 * in memory for a short time (token-cache.ts).
 */
import type { AuditLog } from '../../base/audit.ts';
import type { Clock } from '../../base/clock.ts';
import type { IdentityConfig } from '../../base/config.ts';
import type { Caller } from '../../base/domain.ts';
import type { TokenStore } from '../store/token-store.ts';
import type { AuthRequestBody } from './auth-request.ts';
import { withDemoIdentity } from './demo-identity.ts';
import { createIdentityDirectory } from './directory.ts';
import { createDirectoryReads, type DirectoryReads } from './directory-reads.ts';
import type { TokenAuthenticator } from './token-authenticator.ts';
import type { TokenInfo } from './token-info.ts';
import { TokenIssuer, type IssuedToken } from './token-issuer.ts';
import { TokenValidator } from './token-validator.ts';

export { KEYSTONE_UNAUTHORIZED_TEXT, type TokenInfo } from './token-info.ts';
export type { IssuedToken } from './token-issuer.ts';

/** Everything `/identity` and the `/v2` authentication need from the built-in identity. */
export interface IdentityService extends TokenAuthenticator, DirectoryReads {
  /**
   * `POST /v3/auth/tokens`; 400 for an incomplete request, 401 for any authentication failure.
   * Every attempt is recorded in the audit log, under `requestId`.
   */
  issueToken(auth: AuthRequestBody, requestId?: string): Promise<IssuedToken>;
  /** `GET /v3/auth/tokens`: 401 unless `authToken` is valid, 403 without a subject, 404 for an invalid subject. */
  validateToken(authToken: string | undefined, subjectToken: string | undefined): Promise<TokenInfo>;
  /** `DELETE /v3/auth/tokens`, with the same errors as validateToken. */
  revokeToken(authToken: string | undefined, subjectToken: string | undefined): Promise<void>;
  /** The caller a token stands for; 401 when it is missing or invalid. */
  requireCaller(token: string | undefined): Promise<Caller>;
  /** Whether a project has this id (the grantee check of member adds). */
  projectExists(projectId: string): Promise<boolean>;
}

/** The configured directory, where tokens are kept, the time, and where housekeeping failures go. */
export interface IdentityServiceDeps {
  config: IdentityConfig;
  tokens: TokenStore;
  clock: Clock;
  logger: { warn(details: object, message: string): void };
  /** Where logins are recorded (audit.ts); none if absent. */
  audit?: AuditLog;
  /** Defaults: 10,000 entries, 30 s. */
  cache?: { maxEntries: number; maxAgeMs: number };
}

const DEFAULT_CACHE = { maxEntries: 10_000, maxAgeMs: 30_000 };

/** Builds the identity service over the configured directory and the token store. */
export function createIdentityService(deps: IdentityServiceDeps): IdentityService {
  const { config, tokens, clock, logger } = deps;
  const directory = createIdentityDirectory(config.demo ? withDemoIdentity(config) : config);
  // One validator, so that the issuer's look-ups of presented tokens and revocations share its cache.
  const validator = new TokenValidator({ tokens, directory, clock, cache: deps.cache ?? DEFAULT_CACHE });
  const issuer = new TokenIssuer({ config, tokens, directory, validator, clock, logger, ...(deps.audit ? { audit: deps.audit } : {}) });
  // Plain functions rather than the classes' methods: callers may pass them around unbound.
  return {
    authenticateToken: (token) => validator.authenticateToken(token),
    requireCaller: (token) => validator.requireCaller(token),
    issueToken: (auth, requestId) => issuer.issueToken(auth, requestId),
    validateToken: (authToken, subjectToken) => validator.validateToken(authToken, subjectToken),
    revokeToken: (authToken, subjectToken) => validator.revokeToken(authToken, subjectToken),
    projectExists: async (projectId) => directory.projectById(projectId) !== undefined,
    ...createDirectoryReads(directory),
  };
}
