/**
 * The validating half of the built-in identity: a token string → what it stands for now, read
 * through a short in-memory cache in front of the token store (token-cache.ts), and Keystone's
 * `GET` and `DELETE /v3/auth/tokens` with their 401, 403 and 404.
 */
import type { Clock } from '../../base/clock.ts';
import type { Caller } from '../../base/domain.ts';
import { NotFoundError } from '../../base/errors.ts';
import type { TokenStore } from '../store/token-store.ts';
import type { IdentityDirectory } from './directory.ts';
import { notAuthorizedFor } from './directory-reads.ts';
import { createTokenCache, type TokenCache } from './token-cache.ts';
import { describeToken, tokenHashOf, unauthorized, type ResolvedToken, type TokenInfo } from './token-info.ts';
import type { TokenAuthenticator } from './token-authenticator.ts';

/** Our tokens are 43 characters; anything far longer is not one and is not worth a lookup. */
const MAX_TOKEN_LENGTH = 512;

/** Keystone's 404 for a subject token it does not know (garbage, expired or revoked). */
const tokenNotFound = (): NotFoundError => new NotFoundError('Failed to validate token');

/** What the validator reads: the stored tokens, the directory they refer to, the time. */
export interface TokenValidatorDeps {
  tokens: TokenStore;
  directory: IdentityDirectory;
  clock: Clock;
  cache: { maxEntries: number; maxAgeMs: number };
}

/** Resolves, validates and revokes the built-in identity's tokens. */
export class TokenValidator implements TokenAuthenticator {
  private readonly tokens: TokenStore;
  private readonly directory: IdentityDirectory;
  private readonly clock: Clock;
  private readonly cache: TokenCache<ResolvedToken>;

  constructor(deps: TokenValidatorDeps) {
    this.tokens = deps.tokens;
    this.directory = deps.directory;
    this.clock = deps.clock;
    this.cache = createTokenCache<ResolvedToken>(deps.cache);
  }

  /** What the token stands for now; undefined when it is missing, unknown, expired or revoked. */
  async resolve(token: string | undefined): Promise<ResolvedToken | undefined> {
    if (token === undefined || token === '' || token.length > MAX_TOKEN_LENGTH) return undefined;
    const hash = tokenHashOf(token);
    const nowMs = this.clock.now().getTime();
    const cached = this.cache.get(hash, nowMs);
    if (cached !== undefined) return cached;
    const record = await this.tokens.find(hash);
    const resolved = record === undefined ? undefined : describeToken(this.directory, record, nowMs);
    if (resolved !== undefined) this.cache.set(hash, resolved, nowMs, Date.parse(resolved.record.expiresAt));
    return resolved;
  }

  /** The caller for `/v2`; undefined rather than an error, the middleware answers the 401. */
  async authenticateToken(token: string): Promise<Caller | undefined> {
    return (await this.resolve(token))?.caller;
  }

  /** The caller a token stands for; Keystone's 401 when it is missing or invalid. */
  async requireCaller(token: string | undefined): Promise<Caller> {
    const resolved = await this.resolve(token);
    if (resolved === undefined) throw unauthorized();
    return resolved.caller;
  }

  /** `GET /v3/auth/tokens`: 401 unless `authToken` is valid, 403 without a subject, 404 for an invalid subject. */
  async validateToken(authToken: string | undefined, subjectToken: string | undefined): Promise<TokenInfo> {
    return (await this.subjectOf(authToken, subjectToken, 'identity:validate_token')).info;
  }

  /** `DELETE /v3/auth/tokens`, with the same errors as validateToken. */
  async revokeToken(authToken: string | undefined, subjectToken: string | undefined): Promise<void> {
    // Possessing a token is all it takes to use it, so anyone holding it may also revoke it.
    const subject = await this.subjectOf(authToken, subjectToken, 'identity:revoke_token');
    this.cache.delete(subject.record.tokenHash);
    if (!(await this.tokens.delete(subject.record.tokenHash))) throw tokenNotFound();
  }

  /** The subject token of a validation or revocation, after Keystone's checks in Keystone's order. */
  private async subjectOf(authToken: string | undefined, subjectToken: string | undefined, action: string): Promise<ResolvedToken> {
    await this.requireCaller(authToken);
    // Keystone's policy check fails before the lookup when there is no subject at all.
    if (subjectToken === undefined || subjectToken === '') throw notAuthorizedFor(action);
    const subject = await this.resolve(subjectToken);
    if (subject === undefined) throw tokenNotFound();
    return subject;
  }
}
