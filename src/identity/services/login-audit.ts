/**
 * The audit record of one login (`POST /v3/auth/tokens`): the user and the project scope as the
 * request named them, the methods, and the outcome. Built field by field from the request, so
 * that neither the password nor a presented token can ever reach it.
 */
import { refusal, type LoginAuditEvent, type LoginRef } from '../../base/audit.ts';
import type { AuthRequestBody, NamedRef, ScopedRef } from './auth-request.ts';
import type { TokenInfo } from './token-info.ts';

/** Only `id` and `name`, and only when they are strings. */
function namedRef(ref: NamedRef | undefined): Pick<LoginRef, 'id' | 'name'> {
  if (ref === undefined || ref === null || typeof ref !== 'object') return {};
  return {
    ...(typeof ref.id === 'string' ? { id: ref.id } : {}),
    ...(typeof ref.name === 'string' ? { name: ref.name } : {}),
  };
}

function loginRef(ref: ScopedRef | undefined): LoginRef | undefined {
  if (ref === undefined || ref === null || typeof ref !== 'object') return undefined;
  return { ...namedRef(ref), ...(ref.domain === undefined ? {} : { domain: namedRef(ref.domain) }) };
}

/** The event before its outcome: who the request says is logging in, and into which project. */
function attempt(auth: AuthRequestBody, requestId: string | undefined): Omit<LoginAuditEvent, 'outcome'> {
  const user = loginRef(auth.identity.password?.user);
  const scope = typeof auth.scope === 'object' && auth.scope !== null ? loginRef(auth.scope.project) : undefined;
  return {
    audit: 'identity.login',
    ...(user === undefined ? {} : { user }),
    ...(scope === undefined ? {} : { scope }),
    methods: auth.identity.methods.filter((method) => typeof method === 'string'),
    requestId: requestId ?? null,
  };
}

export function loginSucceeded(auth: AuthRequestBody, requestId: string | undefined, info: TokenInfo): LoginAuditEvent {
  return { ...attempt(auth, requestId), actor: { user: info.user.id, project: info.project.id }, outcome: 'success' };
}

export function loginFailed(auth: AuthRequestBody, requestId: string | undefined, error: unknown): LoginAuditEvent {
  const { outcome, ...details } = refusal(error);
  return { ...attempt(auth, requestId), outcome: outcome === 'refused' ? 'failure' : 'error', ...details };
}
