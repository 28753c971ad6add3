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
import { createTokenCache } from './token-cache.ts';
import { createKeystoneClient, keystoneUnavailable, parseTime, type KeystoneToken, type ServiceToken } from './keystone-client.ts';
import type { Caller } from '../../base/domain.ts';
import type { TokenAuthenticator } from './token-authenticator.ts';

export interface KeystoneAuthenticator extends TokenAuthenticator {
  /** Aborts the Keystone requests in flight and forgets every cached result; from then on every token gets 503. */
  close(): void;
}

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

/** Renew the service token this long before it expires (keystoneauth's stale window), or at half its life. */
const SERVICE_TOKEN_MARGIN_MS = 120_000;
/** Keystone's tokens are ~200 URL-safe characters; anything far larger or non-printable is not one. */
const MAX_TOKEN_LENGTH = 8192;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

export function createKeystoneAuthenticator(deps: KeystoneAuthenticatorDeps): KeystoneAuthenticator {
  const { config, clock, logger } = deps;
  const closing = new AbortController();
  const keystone = createKeystoneClient({ config, fetch: deps.fetch ?? globalThis.fetch, closed: closing.signal, logger });
  // null marks a token Keystone refused: caching refusals keeps garbage tokens from costing a Keystone call each.
  const newCache = () =>
    createTokenCache<Caller | null>({ maxEntries: deps.maxCacheEntries ?? 10_000, maxAgeMs: config.cacheSeconds * 1000 });
  let cache = newCache();
  const inFlight = new Map<string, Promise<Caller | null>>();
  let service: (ServiceToken & { renewAtMs: number }) | undefined;
  let serviceInFlight: Promise<string> | undefined;

  /** The current service token; at most one authentication runs at a time. */
  function serviceToken(): Promise<string> {
    const nowMs = clock.now().getTime();
    if (service !== undefined && nowMs < service.renewAtMs) return Promise.resolve(service.value);
    serviceInFlight ??= keystone.issueServiceToken().then(
      (issued) => {
        const margin = Math.min(SERVICE_TOKEN_MARGIN_MS, (issued.expiresAtMs - nowMs) / 2);
        service = { ...issued, renewAtMs: issued.expiresAtMs - margin };
        serviceInFlight = undefined;
        logger.debug({ expiresAt: new Date(issued.expiresAtMs).toISOString() }, 'obtained a Keystone service token');
        return issued.value;
      },
      (error: unknown) => {
        serviceInFlight = undefined;
        throw error;
      },
    );
    return serviceInFlight;
  }

  /** Asks Keystone; one re-authentication when it refuses the service token (it may have been revoked). */
  async function askKeystone(token: string): Promise<KeystoneToken | undefined> {
    const used = await serviceToken();
    let answer = await keystone.validate(used, token);
    if (answer.kind === 'service-token-refused') {
      if (service?.value === used) service = undefined;
      logger.info({}, 'Keystone refused the service token; authenticating again');
      answer = await keystone.validate(await serviceToken(), token);
      // Refused twice in a row, with a token Keystone just issued: a Keystone-side problem, which
      // keystonemiddleware also answers with 503 rather than blaming the caller's token.
      if (answer.kind === 'service-token-refused') {
        service = undefined;
        throw keystoneUnavailable('it refused a service token it had just issued.');
      }
    }
    return answer.kind === 'valid' ? answer.token : undefined;
  }

  async function validate(token: string, hash: string): Promise<Caller | null> {
    const body = await askKeystone(token);
    const nowMs = clock.now().getTime();
    const expiresAtMs = parseTime(body?.expires_at);
    // Keystone answers 200 only for live tokens; the expiry check guards against clock skew.
    const caller = body === undefined || expiresAtMs === undefined || expiresAtMs <= nowMs ? undefined : callerOf(body);
    if (caller === undefined || expiresAtMs === undefined) {
      logger.debug({}, 'Keystone did not accept a token');
      cache.set(hash, null, nowMs, Number.POSITIVE_INFINITY);
      return null;
    }
    cache.set(hash, caller, nowMs, expiresAtMs);
    return caller;
  }

  return {
    async authenticateToken(token) {
      if (token.length > MAX_TOKEN_LENGTH || !PRINTABLE_ASCII.test(token)) return undefined;
      const hash = sha256(token);
      const cached = cache.get(hash, clock.now().getTime());
      if (cached !== undefined) return cached ?? undefined;
      let pending = inFlight.get(hash);
      if (pending === undefined) {
        pending = validate(token, hash).finally(() => inFlight.delete(hash));
        inFlight.set(hash, pending);
      }
      return (await pending) ?? undefined;
    },

    close() {
      // Every later request fails at once too (the signal stays aborted): a closed authenticator answers 503.
      closing.abort();
      service = undefined;
      cache = newCache();
    },
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
