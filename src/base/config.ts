/**
 * The configuration shape, and its loading: file contents + environment overrides, checked against
 * `schemas/config.json` with every problem listed at once. Only server.ts calls this; everything
 * else receives the frozen slice it needs. This module imports nothing internal.
 */
import { isAbsolute, join, resolve } from 'node:path';

export type PolicyMode = 'new-defaults' | 'legacy';
export type AuthMode = 'builtin' | 'trusted-headers' | 'keystone';

export interface MemberLimitRule {
  property: string;
  values: string[];
  limit: number;
}
export interface MemberLimitsConfig {
  default: number;
  rules: MemberLimitRule[];
}

export interface DomainConfig {
  id: string;
  name: string;
}
export interface ProjectConfig {
  id: string;
  name: string;
  domain: string;
  description?: string;
}
export interface UserConfig {
  id: string;
  name: string;
  domain: string;
  passwordHash: string;
  enabled: boolean;
}
export interface RoleAssignmentConfig {
  user: string;
  project: string;
  roles: string[];
}

export interface IdentityConfig {
  /** builtin mode: the demo identity is added to the configured one (identity/services/demo-identity.ts). */
  demo: boolean;
  /** The demo identity may listen on a non-loopback address. */
  demoAllowRemote: boolean;
  tokenTtlSeconds: number;
  region: string;
  domains: DomainConfig[];
  projects: ProjectConfig[];
  users: UserConfig[];
  roleAssignments: RoleAssignmentConfig[];
}

/** A real Keystone v3 that validates tokens (auth.mode keystone); see schemas/config.json. */
export interface KeystoneConfig {
  /** Keystone v3 base URL without a trailing slash, e.g. http://127.0.0.1:5000/v3. */
  url: string;
  username: string;
  password: string;
  userDomainName: string;
  projectName: string;
  projectDomainName: string;
  cacheSeconds: number;
  timeoutMs: number;
}

/** In keystone mode the Keystone block is always present, so narrowing on `mode` gives it a type. */
export type AuthConfig = IdentityConfig &
  ({ mode: 'builtin' | 'trusted-headers'; keystone?: KeystoneConfig } | { mode: 'keystone'; keystone: KeystoneConfig });

export interface DatabaseConfig {
  client: 'sqlite3' | 'pg';
  filename: string;
  url?: string;
  pool?: { min?: number; max?: number };
  /** SQLite: read-only connections for reads (see store/db.ts `createReadDb`). */
  readers: number;
}

/** Timeouts of the HTTP server (http/http-server.ts); milliseconds, 0 = none. */
export interface HttpConfig {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  logLevel: string;
  database: DatabaseConfig;
  migrateOnStart: boolean;
  policy: { mode: PolicyMode };
  /** savingTimeoutSeconds: see recoverInterruptedUploads (images/services/upload-recovery.ts). */
  images: { maxUploadBytes: number; storeDir: string; savingTimeoutSeconds: number };
  memberLimits: MemberLimitsConfig;
  /** checkGranteeExists: refuse members that are not existing projects; always false in trusted-headers mode. */
  members: { checkGranteeExists: boolean };
  auth: AuthConfig;
  http: HttpConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export interface LoadConfigOptions {
  /** Parsed contents of the config file (or `{}` when there is none). */
  file: unknown;
  /** Where relative paths in the file are resolved from. */
  baseDir: string;
  /** HOST / PORT overrides from the environment. */
  env: { HOST?: string | undefined; PORT?: string | undefined };
  /** Schema check from validation.ts; applies schema defaults in place. */
  check: (data: unknown) => string[];
}

/** The parsed file with HOST/PORT applied and every schema default filled in; throws on any problem. */
function checkedRaw({ file, env, check }: LoadConfigOptions): RawConfig {
  const raw = structuredClone(file ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(['(root): the configuration must be a JSON object']);
  }
  if (env.HOST !== undefined && env.HOST !== '') raw['host'] = env.HOST;
  if (env.PORT !== undefined && env.PORT !== '') {
    const port = Number(env.PORT);
    if (Number.isInteger(port)) raw['port'] = port;
    else problems.push(`PORT: not a port number: ${JSON.stringify(env.PORT)}`);
  }
  problems.push(...check(raw));
  if (problems.length > 0) throw new ConfigError(problems);
  return raw as unknown as RawConfig;
}

/** The configuration as the schema leaves it: defaults filled, derived values still to compute. */
type RawConfig = Config & {
  database: Partial<DatabaseConfig>;
  images: Partial<Config['images']>;
  auth: Partial<IdentityConfig> & { mode?: AuthMode; keystone?: KeystoneConfig };
};

/** The auth block with its defaults; problems the schema cannot see are pushed to `problems`. */
function authOf(config: RawConfig, problems: string[]): AuthConfig | undefined {
  const identity: IdentityConfig = {
    demo: config.auth.demo ?? false,
    demoAllowRemote: config.auth.demoAllowRemote ?? false,
    tokenTtlSeconds: config.auth.tokenTtlSeconds ?? 3600,
    region: config.auth.region ?? 'RegionOne',
    domains: config.auth.domains ?? [],
    projects: config.auth.projects ?? [],
    users: config.auth.users ?? [],
    roleAssignments: config.auth.roleAssignments ?? [],
  };
  problems.push(...checkIdentityReferences(identity));
  const mode = config.auth.mode ?? 'builtin';
  if (identity.demo && mode !== 'builtin') problems.push(`/auth/demo: the demo identity needs auth.mode "builtin", not "${mode}"`);
  const keystone =
    config.auth.keystone === undefined ? undefined : { ...config.auth.keystone, url: config.auth.keystone.url.replace(/\/+$/, '') };
  if (mode !== 'keystone') return { ...identity, mode, ...(keystone === undefined ? {} : { keystone }) };
  // The schema already requires the block in keystone mode; this repeats it for the type checker.
  if (keystone !== undefined) return { ...identity, mode, keystone };
  problems.push("/auth: must have required property 'keystone' (auth.mode is keystone)");
  return undefined;
}

export function loadConfig(options: LoadConfigOptions): Readonly<Config> {
  const config = checkedRaw(options);
  const problems: string[] = [];
  const dataDir = resolve(options.baseDir, config.dataDir);
  const within = (path: string): string => (isAbsolute(path) || path === ':memory:' ? path : resolve(options.baseDir, path));
  const database: DatabaseConfig = {
    ...config.database,
    client: config.database.client ?? 'sqlite3',
    readers: config.database.readers ?? 2,
    filename: config.database.filename ? within(config.database.filename) : join(dataDir, 'glance-share.sqlite'),
  };
  const auth = authOf(config, problems);
  // Node refuses a request timeout shorter than the headers timeout.
  if (config.http.requestTimeoutMs > 0 && config.http.requestTimeoutMs < config.http.headersTimeoutMs) {
    problems.push('/http/requestTimeoutMs: must be 0 (no limit) or at least http.headersTimeoutMs');
  }
  if (problems.length > 0 || auth === undefined) throw new ConfigError(problems);

  // A wildcard address is where the service listens, never where clients can reach it.
  if (config.publicUrl === undefined && isWildcard(config.host)) {
    problems.push(
      `/publicUrl: must be set when host is ${config.host}: clients cannot reach that address (use the name or address they connect to)`,
    );
  } else if (config.publicUrl !== undefined && isWildcard(new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, ''))) {
    problems.push(`/publicUrl: ${config.publicUrl} names a wildcard address, which clients cannot reach`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const origin = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  return deepFreeze({
    host: config.host,
    port: config.port,
    publicUrl: (config.publicUrl ?? origin).replace(/\/+$/, ''),
    dataDir,
    logLevel: config.logLevel,
    database,
    migrateOnStart: config.migrateOnStart ?? database.client === 'sqlite3',
    policy: { mode: config.policy.mode },
    images: {
      maxUploadBytes: config.images.maxUploadBytes ?? 1099511627776,
      storeDir: config.images.storeDir ? within(config.images.storeDir) : join(dataDir, 'images'),
      savingTimeoutSeconds: config.images.savingTimeoutSeconds ?? 60,
    },
    memberLimits: config.memberLimits,
    members: { checkGranteeExists: config.members.checkGranteeExists && auth.mode !== 'trusted-headers' },
    auth,
    http: config.http,
  });
}

/** How the example configurations (config/*.json) mark the password hashes an operator must fill in. */
const PLACEHOLDER_HASH = 'scrypt$PLACEHOLDER';

const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::' || host === '';
const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * What refuses a service start but not a valid configuration: a built-in identity nobody can log
 * in to, and the demo identity (whose passwords everybody knows) on a non-loopback address.
 * `server.ts` checks these before serving, and `check-config` reports them.
 */
export function startupProblems(config: Readonly<Config>): string[] {
  const problems: string[] = [];
  const { auth } = config;
  if (auth.mode === 'builtin' && !auth.demo && auth.users.length === 0) {
    problems.push(
      'auth: the built-in identity has no users, so nobody could log in: add auth.users (each with a passwordHash from `glance-share hash-password`), or set auth.demo to true for the demo identity',
    );
  }
  auth.users.forEach((user, i) => {
    if (user.passwordHash.startsWith(PLACEHOLDER_HASH)) {
      problems.push(
        `auth.users[${i}] (${user.name}): passwordHash is the examples' placeholder: replace it with the output of \`glance-share hash-password\``,
      );
    }
  });
  if (auth.demo && !auth.demoAllowRemote && !isLoopback(config.host)) {
    problems.push(
      `auth.demo: the demo identity (every password is "demo") listens on loopback addresses only, and host is ${config.host}: set auth.demoAllowRemote to true to allow it anyway`,
    );
  }
  return problems;
}

/** Cross-references the schema cannot express: ids unique, and every reference resolvable. */
function checkIdentityReferences(auth: IdentityConfig): string[] {
  const problems: string[] = [];
  const domainIds = new Set(auth.domains.map((d) => d.id));
  const projectIds = new Set(auth.projects.map((p) => p.id));
  const userIds = new Set(auth.users.map((u) => u.id));
  const duplicates = (kind: string, ids: string[]): void => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) problems.push(`auth.${kind}: duplicate id ${JSON.stringify(id)}`);
      seen.add(id);
    }
  };
  duplicates(
    'domains',
    auth.domains.map((d) => d.id),
  );
  duplicates(
    'projects',
    auth.projects.map((p) => p.id),
  );
  duplicates(
    'users',
    auth.users.map((u) => u.id),
  );
  auth.projects.forEach((p, i) => {
    if (!domainIds.has(p.domain)) problems.push(`auth.projects[${i}].domain: no domain ${JSON.stringify(p.domain)}`);
  });
  auth.users.forEach((u, i) => {
    if (!domainIds.has(u.domain)) problems.push(`auth.users[${i}].domain: no domain ${JSON.stringify(u.domain)}`);
  });
  auth.roleAssignments.forEach((a, i) => {
    if (!userIds.has(a.user)) problems.push(`auth.roleAssignments[${i}].user: no user ${JSON.stringify(a.user)}`);
    if (!projectIds.has(a.project)) problems.push(`auth.roleAssignments[${i}].project: no project ${JSON.stringify(a.project)}`);
  });
  return problems;
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
