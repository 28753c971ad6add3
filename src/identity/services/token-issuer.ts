/**
 * The issuing half of the built-in identity (`POST /v3/auth/tokens`): every method listed
 * (password, token) must succeed for one user, the scope must name a project the user has roles
 * on (or one can be chosen for them), and only then is a new token stored, by its hash. Expired
 * tokens are purged from the store now and then on the way.
 */
import { randomBytes } from 'node:crypto';
import { NO_AUDIT, type AuditLog } from '../../base/audit.ts';
import type { Clock } from '../../base/clock.ts';
import type { DomainConfig, IdentityConfig, ProjectConfig, UserConfig } from '../../base/config.ts';
import type { TokenRecord, TokenStore } from '../store/token-store.ts';
import { parseAuthRequest, SUPPORTED_METHODS, type AuthRequestBody, type Lookup, type ParsedAuthRequest } from './auth-request.ts';
import type { IdentityDirectory } from './directory.ts';
import { loginFailed, loginSucceeded } from './login-audit.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';
import { describeToken, tokenHashOf, unauthorized, type ResolvedToken, type TokenInfo } from './token-info.ts';
import type { TokenValidator } from './token-validator.ts';

/** A purge at most this often, of tokens expired for at least the grace period. */
const PURGE_EVERY_MS = 60_000;
const PURGE_GRACE_MS = 3_600_000;

/** Keystone's times have whole seconds, so every stored time does too. */
const wholeSecond = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();

/** A new token: the string handed to the client once, and what it stands for. */
export interface IssuedToken {
  token: string;
  info: TokenInfo;
}

/** What the issuer needs; `validator` resolves a token presented with the `token` method. */
export interface TokenIssuerDeps {
  config: Pick<IdentityConfig, 'tokenTtlSeconds'>;
  tokens: TokenStore;
  directory: IdentityDirectory;
  validator: Pick<TokenValidator, 'resolve'>;
  clock: Clock;
  logger: { warn(details: object, message: string): void };
  /** Where every attempt is recorded (user and scope as given, outcome; never a secret); none if absent. */
  audit?: AuditLog;
}

/** The user every method listed authenticated, and the token presented with the `token` method. */
interface Authenticated {
  user: UserConfig;
  presented: ResolvedToken | undefined;
}

function findDomain(directory: IdentityDirectory, ref: { id: string } | { name: string }): DomainConfig | undefined {
  return 'id' in ref ? directory.domainById(ref.id) : directory.domainByName(ref.name);
}

function findUser(directory: IdentityDirectory, lookup: Lookup): UserConfig | undefined {
  if ('id' in lookup) return directory.userById(lookup.id);
  const domain = findDomain(directory, lookup.domain);
  return domain === undefined ? undefined : directory.userByName(domain.id, lookup.name);
}

function findProject(directory: IdentityDirectory, lookup: Lookup): ProjectConfig | undefined {
  if ('id' in lookup) return directory.projectById(lookup.id);
  const domain = findDomain(directory, lookup.domain);
  return domain === undefined ? undefined : directory.projectByName(domain.id, lookup.name);
}

/** Issues the built-in identity's project-scoped tokens. */
export class TokenIssuer {
  private readonly deps: TokenIssuerDeps;
  /** Checked against when the user is unknown, so that a wrong name costs as long as a wrong password. */
  private decoyHash: Promise<string> | undefined;
  private lastPurgeMs = Number.NEGATIVE_INFINITY;

  constructor(deps: TokenIssuerDeps) {
    this.deps = deps;
  }

  /** `POST /v3/auth/tokens`, recorded in the audit log; 400 for an incomplete request, 401 for any authentication failure. */
  async issueToken(auth: AuthRequestBody, requestId?: string): Promise<IssuedToken> {
    const audit = this.deps.audit ?? NO_AUDIT;
    try {
      const issued = await this.issue(auth);
      audit.record(loginSucceeded(auth, requestId, issued.info));
      return issued;
    } catch (error) {
      audit.record(loginFailed(auth, requestId, error));
      throw error;
    }
  }

  private async issue(auth: AuthRequestBody): Promise<IssuedToken> {
    const { directory, clock, tokens } = this.deps;
    const request = parseAuthRequest(auth);
    if (request.methods.length === 0 || request.methods.some((m) => !SUPPORTED_METHODS.includes(m))) throw unauthorized();
    if (request.scope.kind === 'unsupported') throw unauthorized();
    const { user, presented } = await this.authenticate(request);
    const project = request.scope.kind === 'project' ? findProject(directory, request.scope.project) : this.defaultProject(user, presented);
    if (project === undefined || directory.rolesOn(user.id, project.id).length === 0) throw unauthorized();

    const nowMs = clock.now().getTime();
    await this.purgeOccasionally(nowMs);
    const token = randomBytes(32).toString('base64url');
    const record: TokenRecord = {
      tokenHash: tokenHashOf(token),
      userId: user.id,
      projectId: project.id,
      // As Keystone: a re-issued token lists "token" first, then the methods of the one presented,
      // and keeps its expiry, so that re-authentication never extends a token's life.
      methods: presented === undefined ? request.methods : [...new Set(['token', ...request.methods, ...presented.info.methods])],
      auditId: randomBytes(16).toString('base64url'),
      parentAuditId: presented?.info.auditIds.at(-1),
      issuedAt: wholeSecond(nowMs),
      expiresAt: presented?.info.expiresAt ?? wholeSecond(nowMs + this.deps.config.tokenTtlSeconds * 1000),
    };
    await tokens.insert(record);
    const resolved = describeToken(directory, record, nowMs);
    if (resolved === undefined) throw unauthorized();
    return { token, info: resolved.info };
  }

  /** Every method listed must succeed, and all for the same user (Keystone's multi-method rule). */
  private async authenticate(request: ParsedAuthRequest): Promise<Authenticated> {
    let presented: ResolvedToken | undefined;
    let user: UserConfig | undefined;
    if (request.token !== undefined) {
      presented = await this.deps.validator.resolve(request.token);
      if (presented === undefined) throw unauthorized();
      user = presented.info.user;
    }
    if (request.password !== undefined) {
      const checked = await this.checkPassword(request.password);
      if (user !== undefined && user.id !== checked.id) throw unauthorized();
      user = checked;
    }
    if (user === undefined) throw unauthorized();
    return { user, presented };
  }

  private async checkPassword(credentials: NonNullable<ParsedAuthRequest['password']>): Promise<UserConfig> {
    const user = findUser(this.deps.directory, credentials.user);
    if (credentials.password === undefined) throw unauthorized();
    if (user === undefined) {
      this.decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(credentials.password, await this.decoyHash);
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
  private defaultProject(user: UserConfig, presented: ResolvedToken | undefined): ProjectConfig {
    if (presented !== undefined) return presented.info.project;
    const projects = this.deps.directory.projectsOf(user.id);
    if (projects.length !== 1) throw unauthorized();
    return projects[0]!;
  }

  private async purgeOccasionally(nowMs: number): Promise<void> {
    if (nowMs - this.lastPurgeMs < PURGE_EVERY_MS) return;
    this.lastPurgeMs = nowMs;
    try {
      await this.deps.tokens.purgeExpiredBefore(new Date(nowMs - PURGE_GRACE_MS).toISOString());
    } catch (error) {
      // Housekeeping only: a failure must not refuse the token being issued.
      this.deps.logger.warn({ err: error }, 'could not purge expired tokens');
    }
  }
}
