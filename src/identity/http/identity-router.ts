/**
 * `/identity`: the Keystone v3 API subset the OpenStack clients, gophercloud and Tempest use against
 * the built-in identity (spec/clients.md section 4). Every answer under this prefix, errors
 * included, is in Keystone's style: `{"error": {"code", "title", "message"}}`.
 */
import { Router, type Request, type RequestHandler } from 'express';
import { ApiError, BadRequestError, NotFoundError } from '../../base/errors.ts';
import type { AuthRequestBody } from '../services/auth-request.ts';
import { expectingText } from '../services/auth-request.ts';
import type { IdentityService } from '../services/identity-service.ts';
import type { Validator } from '../../base/validation.ts';
import { hasBody, rawBody } from '../../http/body.ts';
import { callerOf, setCaller } from '../../http/caller.ts';
import { identityVersion, projectsView, projectView, tokenView, userView, type IdentityViewOptions } from './identity-views.ts';
import { sendJson, sendNoContent } from '../../http/respond.ts';

export interface IdentityRouterDeps extends IdentityViewOptions {
  identity: IdentityService;
  validator: Validator;
}

type Method = 'get' | 'post' | 'delete';

/** Registers a path's handlers; any other method gets Keystone's 405 (HEAD is served by GET). */
function resource(router: Router, path: string, handlers: Partial<Record<Method, RequestHandler[]>>): void {
  const methods = Object.keys(handlers) as Method[];
  const allow = methods.flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()]));
  for (const method of methods) router[method](path, ...(handlers[method] ?? []));
  router.all(path, (_req, res) => {
    res.setHeader('Allow', allow.join(', '));
    throw new ApiError(405, 'The method is not allowed for the requested URL.');
  });
}

/** A path parameter the route pattern guarantees. */
function paramOf(req: Request, name: string): string {
  const value: unknown = req.params[name];
  return typeof value === 'string' ? value : '';
}

/** The `auth` member of a token request, with Keystone's 400s for everything short of it. */
function authOf(req: Request, validator: Validator): AuthRequestBody {
  const raw: unknown = req.body;
  if (!hasBody(req) || !Buffer.isBuffer(raw) || raw.length === 0) throw new BadRequestError(expectingText('auth', 'request body'));
  const type = req.get('content-type');
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    throw new BadRequestError(expectingText('application/json', 'Content-Type header'));
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    body = undefined;
  }
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

/**
 * Errors under `/identity` are Keystone documents. app.ts also mounts this ahead of the guards
 * that run before any router (URL length, NUL, request id), so that their errors are too.
 */
export const keystoneErrorStyle: RequestHandler = (_req, res, next) => {
  res.locals['errorStyle'] = 'keystone';
  next();
};

/** The router to mount at `/identity` (builtin auth mode only). */
export function createIdentityRouter(deps: IdentityRouterDeps): Router {
  const { identity, validator, publicUrl } = deps;
  const router = Router();
  const includeCatalog = (req: Request): boolean => !('nocatalog' in (req.query as Record<string, unknown>));
  const subjectToken = (req: Request): string | undefined => req.get('x-subject-token');

  router.use(keystoneErrorStyle);

  const requireToken: RequestHandler = async (req, res, next) => {
    setCaller(res, await identity.requireCaller(req.get('x-auth-token')));
    next();
  };
  /** The request's path and query below `/identity`, for collection `self` links. */
  const selfPath = (req: Request): string => req.originalUrl.replace(/^\/identity/, '');

  resource(router, '/', {
    get: [
      (_req, res) => {
        res.setHeader('Location', `${publicUrl}/identity/v3/`);
        sendJson(res, 300, { versions: { values: [identityVersion(publicUrl)] } });
      },
    ],
  });
  resource(router, '/v3', { get: [(_req, res) => sendJson(res, 200, { version: identityVersion(publicUrl) })] });

  resource(router, '/v3/auth/tokens', {
    post: [
      rawBody,
      async (req, res) => {
        const issued = await identity.issueToken(authOf(req, validator));
        res.setHeader('X-Subject-Token', issued.token);
        sendJson(res, 201, tokenView(issued.info, { ...deps, includeCatalog: includeCatalog(req) }));
      },
    ],
    get: [
      async (req, res) => {
        const subject = subjectToken(req);
        const info = await identity.validateToken(req.get('x-auth-token'), subject);
        res.setHeader('X-Subject-Token', subject ?? '');
        sendJson(res, 200, tokenView(info, { ...deps, includeCatalog: includeCatalog(req) }));
      },
    ],
    delete: [
      async (req, res) => {
        await identity.revokeToken(req.get('x-auth-token'), subjectToken(req));
        sendNoContent(res);
      },
    ],
  });

  resource(router, '/v3/auth/projects', {
    get: [requireToken, (req, res) => sendJson(res, 200, projectsView(identity.projectsOfCaller(callerOf(res)), publicUrl, selfPath(req)))],
  });

  resource(router, '/v3/projects', {
    get: [
      requireToken,
      (req, res) => {
        const query = req.query as Record<string, unknown>;
        const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
        const projects = identity.listProjects(callerOf(res), { name: text(query['name']), domainId: text(query['domain_id']) });
        sendJson(res, 200, projectsView(projects, publicUrl, selfPath(req)));
      },
    ],
  });
  resource(router, '/v3/projects/:project_id', {
    get: [
      requireToken,
      (req, res) => {
        sendJson(res, 200, { project: projectView(identity.getProject(callerOf(res), paramOf(req, 'project_id')), publicUrl) });
      },
    ],
  });
  resource(router, '/v3/users/:user_id', {
    get: [
      requireToken,
      (req, res) => {
        sendJson(res, 200, userView(identity.getUser(callerOf(res), paramOf(req, 'user_id')), publicUrl));
      },
    ],
  });

  // Anything else below /identity is Keystone's 404, not Glance's version document.
  router.use(() => {
    throw new NotFoundError();
  });
  return router;
}
