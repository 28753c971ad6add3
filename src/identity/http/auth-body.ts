/**
 * Reads the body of `POST /v3/auth/tokens` down to its `auth` member, with Keystone's 400s for
 * everything short of it: no body, another content type, unreadable JSON, no `auth`, or an `auth`
 * the schema (schemas/identity-auth.json) refuses. What the `auth` member then says is the
 * identity service's to judge (services/auth-request.ts).
 */
import type { Request } from 'express';
import { BadRequestError } from '../../base/errors.ts';
import type { Validator } from '../../base/validation.ts';
import { hasBody } from '../../http/body.ts';
import { expectingText, type AuthRequestBody } from '../services/auth-request.ts';

/** The request's raw body (http/body.ts `rawBody`) as JSON; undefined when it does not parse. */
function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The `auth` member of a token request, with Keystone's 400s for everything short of it. */
export function readAuthBody(req: Request, validator: Validator): AuthRequestBody {
  const raw: unknown = req.body;
  if (!hasBody(req) || !Buffer.isBuffer(raw) || raw.length === 0) throw new BadRequestError(expectingText('auth', 'request body'));
  const type = req.get('content-type');
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    throw new BadRequestError(expectingText('application/json', 'Content-Type header'));
  }
  const body = parseJson(raw);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestError(expectingText('valid JSON', 'request body'));
  }
  const auth = (body as Record<string, unknown>)['auth'];
  if (auth === undefined || auth === null) throw new BadRequestError(expectingText('auth', 'request body'));
  const [problem] = validator.check('identity-auth.json', auth);
  if (problem !== undefined) {
    // Keystone names the field by its path below "auth"; the values themselves (passwords) are never echoed.
    const match = /^\/(.*?): (.*)$/.exec(problem);
    throw new BadRequestError(
      match
        ? `Invalid input for field '${match[1]}': ${match[2]}`
        : `Invalid input for field 'auth': ${problem.replace(/^\(root\): /, '')}`,
    );
  }
  return auth as AuthRequestBody;
}
