/**
 * The Keystone v3 calls this service makes, over Node's global fetch: `POST /auth/tokens` for the
 * service token, `GET /auth/tokens` for a user token, and `GET /projects/{id}` for the grantee
 * check of member adds. Every way of
 * not getting a usable answer (refused connection, timeout, 5xx, an unreadable body, Keystone
 * refusing the service's own credentials) becomes a ServiceUnavailableError, so a Keystone outage
 * is a 503 and never a hang or a pass. Tokens and the password never appear in messages or logs.
 */
import type { KeystoneConfig } from '../../base/config.ts';
import { ServiceUnavailableError } from '../../base/errors.ts';

/** The part of Keystone's token document this service reads; everything else is ignored. */
export interface KeystoneToken {
  expires_at?: unknown;
  user?: { id?: unknown } | null;
  project?: { id?: unknown } | null;
  roles?: unknown;
}

/** The token this service authenticates its own Keystone calls with, and when Keystone says it expires. */
export interface ServiceToken {
  value: string;
  expiresAtMs: number;
}

/** Keystone's answer to a user-token validation, for the answers that are not an outage. */
export type ValidationAnswer =
  | { kind: 'valid'; token: KeystoneToken }
  /** 404: Keystone does not know the subject token (garbage, expired or revoked). */
  | { kind: 'not-found' }
  /** 401: Keystone refused the service token used to ask. */
  | { kind: 'service-token-refused' };

/** The Keystone calls the authenticator makes; every failure to get an answer is a 503. */
export interface KeystoneClient {
  /** `POST /auth/tokens` with the configured service credentials. */
  issueServiceToken(): Promise<ServiceToken>;
  /** `GET /auth/tokens`: what Keystone says about `subjectToken`, asked with `serviceToken`. */
  validate(serviceToken: string, subjectToken: string): Promise<ValidationAnswer>;
  /** `GET /projects/{id}`: whether the project exists, asked with `serviceToken`. */
  findProject(serviceToken: string, projectId: string): Promise<ProjectAnswer>;
}

/** Keystone's answer to a project look-up, for the answers that are not an outage. */
export type ProjectAnswer = 'found' | 'not-found' | 'service-token-refused';

/** The `auth.keystone` settings the calls use, the fetch to make them with, and the closing signal. */
export interface KeystoneClientDeps {
  config: Pick<KeystoneConfig, 'url' | 'username' | 'password' | 'userDomainName' | 'projectName' | 'projectDomainName' | 'timeoutMs'>;
  fetch: typeof fetch;
  /** Aborted when the authenticator is closed: every request in flight then fails at once. */
  closed: AbortSignal;
  logger: { error(details: object, message: string): void };
}

/** The 503 every Keystone failure becomes; `reason` says what went wrong, without URLs or tokens. */
export function keystoneUnavailable(reason: string, cause?: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError(`The identity service is unavailable: ${reason}`, { cause });
}
const unavailable = keystoneUnavailable;

/** The JSON answer of one call (undefined body for a non-2xx answer, which is never read). */
interface CallResult {
  status: number;
  headers: Headers;
  body: unknown;
}

/** The service user's password authentication, scoped to the service project. */
function serviceAuthBody(config: KeystoneClientDeps['config']): string {
  return JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: config.username, domain: { name: config.userDomainName }, password: config.password } },
      },
      scope: { project: { name: config.projectName, domain: { name: config.projectDomainName } } },
    },
  });
}

/** The KeystoneClient over `fetch`, bounded by the configured timeout and the closing signal. */
export class FetchKeystoneClient implements KeystoneClient {
  private readonly deps: KeystoneClientDeps;
  /** nocatalog: the catalog is the bulk of a token document, and validation never needs it. */
  private readonly tokensUrl: string;

  constructor(deps: KeystoneClientDeps) {
    this.deps = deps;
    this.tokensUrl = `${deps.config.url}/auth/tokens?nocatalog`;
  }

  async findProject(serviceToken: string, projectId: string): Promise<ProjectAnswer> {
    const url = `${this.deps.config.url}/projects/${encodeURIComponent(projectId)}`;
    const { status } = await this.call({ method: 'GET', headers: { 'X-Auth-Token': serviceToken, Accept: 'application/json' } }, url);
    if (status === 200) return 'found';
    if (status === 404) return 'not-found';
    if (status === 401) return 'service-token-refused';
    // 403: the service user may not read projects (it needs e.g. the admin or reader role on the
    // service project, as Glance's own service user has); anything else is Keystone's problem.
    throw unavailable(`it answered ${status} to a project look-up.`);
  }

  async issueServiceToken(): Promise<ServiceToken> {
    const { config, logger } = this.deps;
    const { status, headers, body } = await this.call({
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: serviceAuthBody(config),
    });
    if (status === 401) {
      // A configuration problem, not the caller's: say so loudly in the log, but only 503 to clients.
      logger.error({ keystone: config.url, username: config.username }, 'Keystone refused the service credentials (auth.keystone)');
      throw unavailable('it refused the credentials of this service.');
    }
    if (status >= 300) throw unavailable(`it answered ${status} to the service authentication.`);
    const value = headers.get('x-subject-token');
    const expiresAtMs = parseTime(tokenOf(body)?.expires_at);
    if (value === null || value === '' || expiresAtMs === undefined)
      throw unavailable('its answer to the service authentication lacked a token.');
    return { value, expiresAtMs };
  }

  async validate(serviceToken: string, subjectToken: string): Promise<ValidationAnswer> {
    const { status, body } = await this.call({
      method: 'GET',
      headers: { 'X-Auth-Token': serviceToken, 'X-Subject-Token': subjectToken, Accept: 'application/json' },
    });
    if (status === 404) return { kind: 'not-found' };
    if (status === 401) return { kind: 'service-token-refused' };
    // Anything else (403: the service user may not validate tokens; 5xx; 3xx) is Keystone's
    // problem rather than the caller's, as keystonemiddleware's ServiceError has it.
    if (status !== 200) throw unavailable(`it answered ${status} to a token validation.`);
    const token = tokenOf(body);
    if (token === undefined) throw unavailable('its answer to a token validation could not be read.');
    return { kind: 'valid', token };
  }

  /**
   * One request, bounded by timeoutMs in all (body included); the response body is always consumed.
   * A connection that drops before any answer is tried once more: Keystone's WSGI servers close idle
   * keep-alive connections, and a request racing that close fails with "other side closed".
   */
  private async call(init: RequestInit, url = this.tokensUrl): Promise<CallResult> {
    const { closed, config } = this.deps;
    const signal = AbortSignal.any([closed, AbortSignal.timeout(config.timeoutMs)]);
    try {
      let response: Response;
      try {
        response = await this.deps.fetch(url, { ...init, signal, redirect: 'error' });
      } catch (error) {
        if (signal.aborted || !isDroppedConnection(error)) throw error;
        response = await this.deps.fetch(url, { ...init, signal, redirect: 'error' });
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        return { status: response.status, headers: response.headers, body: undefined };
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        if (signal.aborted) throw error;
        throw unavailable(`its answer (${response.status}) could not be read.`, error);
      }
      return { status: response.status, headers: response.headers, body };
    } catch (error) {
      if (error instanceof ServiceUnavailableError) throw error;
      if (closed.aborted) throw unavailable('this service is shutting down.', error);
      if (signal.aborted) throw unavailable(`it did not answer within ${config.timeoutMs} ms.`, error);
      throw unavailable(`it could not be reached (${networkReason(error)}).`, error);
    }
  }
}

/** The Keystone client the authenticator uses. */
export function createKeystoneClient(deps: KeystoneClientDeps): KeystoneClient {
  return new FetchKeystoneClient(deps);
}

function tokenOf(body: unknown): KeystoneToken | undefined {
  const token = (body as { token?: unknown } | null | undefined)?.token;
  return typeof token === 'object' && token !== null ? (token as KeystoneToken) : undefined;
}

/** Keystone's `2026-11-23T03:44:50.000000Z` (microseconds) → epoch ms; undefined when unusable. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A pooled connection closed under the request (not a refusal: that one is final). */
function isDroppedConnection(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** fetch reports "fetch failed" with the socket error as its cause; the code is the useful part. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : 'unknown error';
}
