/**
 * The built-in, Keystone-v3-compatible identity: issues project-scoped tokens for the users in the
 * configuration, validates and revokes them, and answers the few directory reads the OpenStack
 * clients make. Tokens are random strings stored only as SHA-256 hashes (store/token-store.ts);
 * validated tokens are cached in memory for a short time (identity-token-cache.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../base/clock.ts';
import type { DomainConfig, IdentityConfig, ProjectConfig, UserConfig } from '../../base/config.ts';
import { NotFoundError, UnauthorizedError } from '../../base/errors.ts';
import type { TokenRecord, TokenStore } from '../store/token-store.ts';
import { parseAuthRequest, SUPPORTED_METHODS, type AuthRequestBody, type Lookup, type ParsedAuthRequest } from './auth-request.ts';
import { createIdentityDirectory, type Role } from './directory.ts';
import { createDirectoryReads, notAuthorizedFor, type DirectoryReads } from './directory-reads.ts';
import { createTokenCache } from './token-cache.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';
import type { Caller } from '../../base/domain.ts';
import type { TokenAuthenticator } from './token-authenticator.ts';

/** Keystone's text for every authentication failure (it never says which part was wrong). */
export const KEYSTONE_UNAUTHORIZED_TEXT = 'The request you have made requires authentication.';

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

export interface IssuedToken {
  token: string;
  info: TokenInfo;
}

export interface IdentityService extends TokenAuthenticator, DirectoryReads {
  /** `POST /v3/auth/tokens`; 400 for an incomplete request, 401 for any authentication failure. */
  issueToken(auth: AuthRequestBody): Promise<IssuedToken>;
  /** `GET /v3/auth/tokens`: 401 unless `authToken` is valid, 403 without a subject, 404 for an invalid subject. */
  validateToken(authToken: string | undefined, subjectToken: string | undefined): Promise<TokenInfo>;
  /** `DELETE /v3/auth/tokens`, with the same errors as validateToken. */
  revokeToken(authToken: string | undefined, subjectToken: string | undefined): Promise<void>;
  /** The caller a token stands for; 401 when it is missing or invalid. */
  requireCaller(token: string | undefined): Promise<Caller>;
}

export interface IdentityServiceDeps {
  config: IdentityConfig;
  tokens: TokenStore;
  clock: Clock;
  logger: { warn(details: object, message: string): void };
  /** Defaults: 10,000 entries, 30 s. */
  cache?: { maxEntries: number; maxAgeMs: number };
}

const MAX_TOKEN_LENGTH = 512;
const PURGE_EVERY_MS = 60_000;
const PURGE_GRACE_MS = 3_600_000;

const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');
const unauthorized = (): UnauthorizedError => new UnauthorizedError(KEYSTONE_UNAUTHORIZED_TEXT);
const tokenNotFound = (): NotFoundError => new NotFoundError('Failed to validate token');
/** Keystone's times have whole seconds, so every stored time does too. */
const wholeSecond = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();

interface Resolved {
  info: TokenInfo;
  caller: Caller;
  record: TokenRecord;
}

/** Builds the identity service over the configured directory and the token store. */
export function createIdentityService(deps: IdentityServiceDeps): IdentityService {
  const { tokens, clock, logger } = deps;
  const directory = createIdentityDirectory(deps.config);
  const cache = createTokenCache<Resolved>(deps.cache ?? { maxEntries: 10_000, maxAgeMs: 30_000 });
  // Checked against when the user is unknown, so that a wrong name costs as long as a wrong password.
  let decoyHash: Promise<string> | undefined;
  let lastPurgeMs = Number.NEGATIVE_INFINITY;

  /** The token's meaning now: undefined once it expired, or its user, project or roles went away. */
  function describe(record: TokenRecord, nowMs: number): Resolved | undefined {
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

  async function resolve(token: string | undefined): Promise<Resolved | undefined> {
    if (token === undefined || token === '' || token.length > MAX_TOKEN_LENGTH) return undefined;
    const hash = sha256(token);
    const nowMs = clock.now().getTime();
    const cached = cache.get(hash, nowMs);
    if (cached !== undefined) return cached;
    const record = await tokens.find(hash);
    const resolved = record === undefined ? undefined : describe(record, nowMs);
    if (resolved !== undefined) cache.set(hash, resolved, nowMs, Date.parse(resolved.record.expiresAt));
    return resolved;
  }

  function findDomain(ref: { id: string } | { name: string }): DomainConfig | undefined {
    return 'id' in ref ? directory.domainById(ref.id) : directory.domainByName(ref.name);
  }

  function findUser(lookup: Lookup): UserConfig | undefined {
    if ('id' in lookup) return directory.userById(lookup.id);
    const domain = findDomain(lookup.domain);
    return domain === undefined ? undefined : directory.userByName(domain.id, lookup.name);
  }

  function findProject(lookup: Lookup): ProjectConfig | undefined {
    if ('id' in lookup) return directory.projectById(lookup.id);
    const domain = findDomain(lookup.domain);
    return domain === undefined ? undefined : directory.projectByName(domain.id, lookup.name);
  }

  async function checkPassword(credentials: NonNullable<ParsedAuthRequest['password']>): Promise<UserConfig> {
    const user = findUser(credentials.user);
    if (credentials.password === undefined) throw unauthorized();
    if (user === undefined) {
      decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(credentials.password, await decoyHash);
      throw unauthorized();
    }
    if (!(await verifyPassword(credentials.password, user.passwordHash)) || !user.enabled) throw unauthorized();
    return user;
  }

  /**
   * Which project a request without a scope gets. Keystone would use the user's default project or
   * issue an unscoped token; this service only issues project-scoped tokens (Glance needs a
   * project) and has no default projects, so: re-authentication with a token keeps that token's
   * project (what Keystone does for users whose default project it is), and a password
   * authentication gets the user's only project; a user with roles on several projects (or none)
   * must name one, else 401, as Keystone answers a scope the user has no roles on.
   */
  function defaultProject(user: UserConfig, presented: Resolved | undefined): ProjectConfig {
    if (presented !== undefined) return presented.info.project;
    const projects = directory.projectsOf(user.id);
    if (projects.length !== 1) throw unauthorized();
    return projects[0]!;
  }

  async function purgeOccasionally(nowMs: number): Promise<void> {
    if (nowMs - lastPurgeMs < PURGE_EVERY_MS) return;
    lastPurgeMs = nowMs;
    try {
      await tokens.purgeExpiredBefore(new Date(nowMs - PURGE_GRACE_MS).toISOString());
    } catch (error) {
      // Housekeeping only: a failure must not refuse the token being issued.
      logger.warn({ err: error }, 'could not purge expired tokens');
    }
  }

  async function requireCaller(token: string | undefined): Promise<Caller> {
    const resolved = await resolve(token);
    if (resolved === undefined) throw unauthorized();
    return resolved.caller;
  }

  return {
    async authenticateToken(token) {
      return (await resolve(token))?.caller;
    },

    requireCaller,

    async issueToken(auth) {
      const request = parseAuthRequest(auth);
      if (request.methods.length === 0 || request.methods.some((m) => !SUPPORTED_METHODS.includes(m))) throw unauthorized();
      if (request.scope.kind === 'unsupported') throw unauthorized();

      // Every method listed must succeed, and all for the same user (Keystone's multi-method rule).
      let presented: Resolved | undefined;
      let user: UserConfig | undefined;
      if (request.token !== undefined) {
        presented = await resolve(request.token);
        if (presented === undefined) throw unauthorized();
        user = presented.info.user;
      }
      if (request.password !== undefined) {
        const checked = await checkPassword(request.password);
        if (user !== undefined && user.id !== checked.id) throw unauthorized();
        user = checked;
      }
      if (user === undefined) throw unauthorized();

      const project = request.scope.kind === 'project' ? findProject(request.scope.project) : defaultProject(user, presented);
      if (project === undefined || directory.rolesOn(user.id, project.id).length === 0) throw unauthorized();

      const nowMs = clock.now().getTime();
      await purgeOccasionally(nowMs);
      const token = randomBytes(32).toString('base64url');
      const record: TokenRecord = {
        tokenHash: sha256(token),
        userId: user.id,
        projectId: project.id,
        // As Keystone: a re-issued token lists "token" first, then the methods of the one presented,
        // and keeps its expiry, so that re-authentication never extends a token's life.
        methods: presented === undefined ? request.methods : [...new Set(['token', ...request.methods, ...presented.info.methods])],
        auditId: randomBytes(16).toString('base64url'),
        parentAuditId: presented?.info.auditIds.at(-1),
        issuedAt: wholeSecond(nowMs),
        expiresAt: presented?.info.expiresAt ?? wholeSecond(nowMs + deps.config.tokenTtlSeconds * 1000),
      };
      await tokens.insert(record);
      const resolved = describe(record, nowMs);
      if (resolved === undefined) throw unauthorized();
      return { token, info: resolved.info };
    },

    async validateToken(authToken, subjectToken) {
      await requireCaller(authToken);
      // Keystone's policy check fails before the lookup when there is no subject at all.
      if (subjectToken === undefined || subjectToken === '') throw notAuthorizedFor('identity:validate_token');
      const subject = await resolve(subjectToken);
      if (subject === undefined) throw tokenNotFound();
      return subject.info;
    },

    async revokeToken(authToken, subjectToken) {
      await requireCaller(authToken);
      if (subjectToken === undefined || subjectToken === '') throw notAuthorizedFor('identity:revoke_token');
      // Possessing a token is all it takes to use it, so anyone holding it may also revoke it.
      const subject = await resolve(subjectToken);
      if (subject === undefined) throw tokenNotFound();
      cache.delete(subject.record.tokenHash);
      if (!(await tokens.delete(subject.record.tokenHash))) throw tokenNotFound();
    },

    ...createDirectoryReads(directory),
  };
}
