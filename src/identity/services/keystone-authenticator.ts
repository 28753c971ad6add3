/**
 * auth.mode "keystone": validates `X-Auth-Token` against a real Keystone v3 the way
 * keystonemiddleware's auth_token does. A service token (password method, project scope) is
 * obtained once and reused until shortly before it expires, or until Keystone refuses it; each
 * user token is validated with `GET /v3/auth/tokens` and the result, valid or not, is cached by
 * the token's SHA-256 for `cacheSeconds` (never past the token's expiry). So a token revoked in
 * Keystone keeps working here for up to `cacheSeconds`, exactly as with keystonemiddleware's
 * token_cache_time. Concurrent requests with the same uncached token share one validation.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../base/clock.ts';
import type { KeystoneConfig } from '../../base/config.ts';
import type { Caller } from '../../base/domain.ts';
import { createKeystoneClient, keystoneUnavailable, parseTime, type KeystoneClient, type KeystoneToken } from './keystone-client.ts';
import { ServiceTokenHolder } from './keystone-service-token.ts';
import type { TokenAuthenticator } from './token-authenticator.ts';
import { createTokenCache, type TokenCache } from './token-cache.ts';

/** A TokenAuthenticator backed by Keystone, which can be shut down. */
export interface KeystoneAuthenticator extends TokenAuthenticator {
  /** Whether Keystone has a project with this id (`GET /v3/projects/{id}`), cached like validations; 503 when Keystone cannot say. */
  projectExists(projectId: string): Promise<boolean>;
  /** Aborts the Keystone requests in flight and forgets every cached result; from then on every token gets 503. */
  close(): void;
}

/** The `auth.keystone` settings, the time, where to log, and (for tests) the fetch and cache size. */
export interface KeystoneAuthenticatorDeps {
  config: KeystoneConfig;
  clock: Clock;
  logger: {
    debug(details: object, message: string): void;
    info(details: object, message: string): void;
    error(details: object, message: string): void;
  };
  /** Defaults to Node's global fetch; tests may pass their own. */
  fetch?: typeof fetch;
  /** Defaults: 10,000 entries (a token costs ~200 bytes here). */
  maxCacheEntries?: number;
}

/** Keystone's tokens are ~200 URL-safe characters; anything far larger or non-printable is not one. */
const MAX_TOKEN_LENGTH = 8192;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Validates user tokens with Keystone and caches the verdicts; null in the cache marks a token
 * Keystone refused, so that garbage tokens do not cost a Keystone call each.
 */
class KeystoneTokenValidator implements KeystoneAuthenticator {
  private readonly deps: KeystoneAuthenticatorDeps;
  private readonly closing = new AbortController();
  private readonly keystone: KeystoneClient;
  private readonly serviceToken: ServiceTokenHolder;
  private readonly inFlight = new Map<string, Promise<Caller | null>>();
  private cache: TokenCache<Caller | null>;
  /** Project id → whether Keystone has it (the grantee check), kept like validation results. */
  private projects: TokenCache<boolean>;

  constructor(deps: KeystoneAuthenticatorDeps) {
    this.deps = deps;
    const { config, logger } = deps;
    this.keystone = createKeystoneClient({ config, fetch: deps.fetch ?? globalThis.fetch, closed: this.closing.signal, logger });
    this.serviceToken = new ServiceTokenHolder(this.keystone, deps.clock, logger);
    this.cache = this.newCache();
    this.projects = this.newCache();
  }

  /** The caller the token stands for, from the cache or Keystone; concurrent asks for one token share a call. */
  async authenticateToken(token: string): Promise<Caller | undefined> {
    if (token.length > MAX_TOKEN_LENGTH || !PRINTABLE_ASCII.test(token)) return undefined;
    const hash = sha256(token);
    const cached = this.cache.get(hash, this.deps.clock.now().getTime());
    if (cached !== undefined) return cached ?? undefined;
    let pending = this.inFlight.get(hash);
    if (pending === undefined) {
      pending = this.validate(token, hash).finally(() => this.inFlight.delete(hash));
      this.inFlight.set(hash, pending);
    }
    return (await pending) ?? undefined;
  }

  close(): void {
    // Every later request fails at once too (the signal stays aborted): a closed authenticator answers 503.
    this.closing.abort();
    this.serviceToken.clear();
    this.cache = this.newCache();
    this.projects = this.newCache();
  }

  private newCache<V>(): TokenCache<V> {
    return createTokenCache<V>({
      maxEntries: this.deps.maxCacheEntries ?? 10_000,
      maxAgeMs: this.deps.config.cacheSeconds * 1000,
    });
  }

  /**
   * Asks Keystone with the service token; when Keystone refuses that token (it may have been
   * revoked), authenticates once more and asks again.
   */
  private async withServiceToken<T>(ask: (serviceToken: string) => Promise<T | 'service-token-refused'>): Promise<T> {
    const used = await this.serviceToken.get();
    let answer = await ask(used);
    if (answer === 'service-token-refused') {
      this.serviceToken.refused(used);
      this.deps.logger.info({}, 'Keystone refused the service token; authenticating again');
      answer = await ask(await this.serviceToken.get());
      // Refused twice in a row, with a token Keystone just issued: a Keystone-side problem, which
      // keystonemiddleware also answers with 503 rather than blaming the caller's token.
      if (answer === 'service-token-refused') {
        this.serviceToken.clear();
        throw keystoneUnavailable('it refused a service token it had just issued.');
      }
    }
    return answer;
  }

  /** Keystone's token document for `token`; undefined when Keystone does not know it. */
  private async askKeystone(token: string): Promise<KeystoneToken | undefined> {
    return this.withServiceToken(async (serviceToken) => {
      const answer = await this.keystone.validate(serviceToken, token);
      return answer.kind === 'service-token-refused' ? answer.kind : answer.kind === 'valid' ? answer.token : undefined;
    });
  }

  /** Whether Keystone has a project with this id; both answers cached for cacheSeconds. */
  async projectExists(projectId: string): Promise<boolean> {
    const nowMs = this.deps.clock.now().getTime();
    const cached = this.projects.get(projectId, nowMs);
    if (cached !== undefined) return cached;
    const answer = await this.withServiceToken((serviceToken) => this.keystone.findProject(serviceToken, projectId));
    const exists = answer === 'found';
    this.projects.set(projectId, exists, nowMs, Number.POSITIVE_INFINITY);
    return exists;
  }

  /** One validation, its verdict cached: a caller until the token expires, a refusal for cacheSeconds. */
  private async validate(token: string, hash: string): Promise<Caller | null> {
    const body = await this.askKeystone(token);
    const nowMs = this.deps.clock.now().getTime();
    const expiresAtMs = parseTime(body?.expires_at);
    // Keystone answers 200 only for live tokens; the expiry check guards against clock skew.
    const caller = body === undefined || expiresAtMs === undefined || expiresAtMs <= nowMs ? undefined : callerOf(body);
    if (caller === undefined || expiresAtMs === undefined) {
      this.deps.logger.debug({}, 'Keystone did not accept a token');
      this.cache.set(hash, null, nowMs, Number.POSITIVE_INFINITY);
      return null;
    }
    this.cache.set(hash, caller, nowMs, expiresAtMs);
    return caller;
  }
}

/** The `/v2` token authenticator of auth.mode "keystone". */
export function createKeystoneAuthenticator(deps: KeystoneAuthenticatorDeps): KeystoneAuthenticator {
  const validator = new KeystoneTokenValidator(deps);
  // Plain functions rather than the class's methods: callers may pass them around unbound.
  return {
    authenticateToken: (token) => validator.authenticateToken(token),
    projectExists: (projectId) => validator.projectExists(projectId),
    close: () => validator.close(),
  };
}

/** Keystone's token → the caller; undefined for tokens Glance cannot use (no project scope). */
function callerOf(token: KeystoneToken): Caller | undefined {
  // Domain- and system-scoped tokens have no project, and every Glance rule needs one.
  const projectId = token.project?.id;
  if (typeof projectId !== 'string' || projectId === '') return undefined;
  const userId = token.user?.id;
  const roles = Array.isArray(token.roles)
    ? token.roles.flatMap((role: unknown) => {
        const name = (role as { name?: unknown } | null)?.name;
        return typeof name === 'string' && name !== '' ? [name.toLowerCase()] : [];
      })
    : [];
  return { projectId, userId: typeof userId === 'string' ? userId : undefined, roles, isAdmin: roles.includes('admin') };
}
