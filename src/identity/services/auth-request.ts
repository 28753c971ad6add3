/**
 * Reads the `auth` object of `POST /v3/auth/tokens` (already checked against
 * schemas/identity-auth.json) into what the identity service acts on, with Keystone's 400 texts for
 * requests that are well-typed but incomplete. Nothing here looks anything up: a request that reads
 * well but names an unknown user, domain or project fails later with 401, as in Keystone.
 */
import { BadRequestError } from '../../base/errors.ts';

/** A reference to a domain, user or project, by id or by name. */
export interface NamedRef {
  id?: string;
  name?: string;
}
/** A user or project reference, which a name alone does not identify without its domain. */
export interface ScopedRef extends NamedRef {
  domain?: NamedRef;
}

/** The `auth` member of the request body, as the schema lets it through. */
export interface AuthRequestBody {
  identity: {
    methods: string[];
    password?: { user?: ScopedRef & { password?: string } };
    token?: { id: string };
    [method: string]: unknown;
  };
  scope?: string | null | { project?: ScopedRef; domain?: NamedRef; system?: unknown; 'OS-TRUST:trust'?: unknown };
}

/** How the user or project is named: by id, or by name within a domain given by id or name. */
export type Lookup = { id: string } | { name: string; domain: { id: string } | { name: string } };

/** The `password` method's user and password; a missing password is a 401 later, not a 400. */
export interface PasswordCredentials {
  user: Lookup;
  password: string | undefined;
}

/** A token request reduced to what the identity service decides on. */
export interface ParsedAuthRequest {
  methods: string[];
  password: PasswordCredentials | undefined;
  token: string | undefined;
  /**
   * `default`: no scope given. `project`: a project scope. `unsupported`: a scope this service
   * cannot issue (explicitly unscoped, domain, system or trust), which ends in 401.
   */
  scope: { kind: 'default' } | { kind: 'project'; project: Lookup } | { kind: 'unsupported' };
}

/** The authentication methods this identity implements; any other listed method is a 401. */
export const SUPPORTED_METHODS: readonly string[] = ['password', 'token'];

/** Keystone's ValidationError text. */
export function expectingText(attribute: string, target: string): string {
  return (
    `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is ` +
    'either malformed or otherwise incorrect. The client is assumed to be in error.'
  );
}

function lookupOf(ref: ScopedRef, field: string, target: string): Lookup {
  if (ref.id !== undefined) return { id: ref.id };
  if (ref.name === undefined) throw new BadRequestError(`Invalid input for field ${field}: id or name must be present.`);
  if (ref.domain === undefined) throw new BadRequestError(expectingText('domain', target));
  const { domain } = ref;
  if (domain.id !== undefined) return { name: ref.name, domain: { id: domain.id } };
  if (domain.name !== undefined) return { name: ref.name, domain: { name: domain.name } };
  throw new BadRequestError(`Invalid input for field ${field}/domain: id or name must be present.`);
}

/** Normalises a schema-valid `auth` object; throws BadRequestError with Keystone's texts. */
export function parseAuthRequest(auth: AuthRequestBody): ParsedAuthRequest {
  const { identity } = auth;
  // Every method listed needs its own section (Keystone answers 400 otherwise, even for methods it
  // does not support); whether the method is supported is an authentication failure, decided later.
  for (const method of identity.methods) {
    if (identity[method] === undefined) throw new BadRequestError(expectingText(method, 'identity'));
  }
  let password: PasswordCredentials | undefined;
  if (identity.methods.includes('password') && identity.password !== undefined) {
    const { user } = identity.password;
    if (user === undefined) throw new BadRequestError(expectingText('user', 'password'));
    password = { user: lookupOf(user, 'identity/password/user', 'user'), password: user.password };
  }
  const token = identity.methods.includes('token') ? identity.token?.id : undefined;
  return { methods: [...new Set(identity.methods)], password, token, scope: parseScope(auth.scope) };
}

function parseScope(scope: AuthRequestBody['scope']): ParsedAuthRequest['scope'] {
  if (scope === undefined || scope === null) return { kind: 'default' };
  // Keystone wants exactly one kind of scope; the string form is the explicit "unscoped".
  const kinds =
    typeof scope === 'string'
      ? scope === 'unscoped'
        ? 1
        : 0
      : ['project', 'domain', 'system', 'OS-TRUST:trust'].filter((k) => k in scope).length;
  if (kinds !== 1) throw new BadRequestError(expectingText('system, project, domain, OS-TRUST:trust or unscoped', 'scope'));
  if (typeof scope === 'string' || scope.project === undefined) return { kind: 'unsupported' };
  return { kind: 'project', project: lookupOf(scope.project, 'scope/project', 'project') };
}
