/**
 * `/identity`: the Keystone v3 API subset the OpenStack clients, gophercloud and Tempest use against
 * the built-in identity (spec/clients.md section 4). Every answer under this prefix, errors
 * included, is in Keystone's style: `{"error": {"code", "title", "message"}}` (the error renderer,
 * http/error-render.ts, picks that shape from the path).
 */
import { Router, type Request, type RequestHandler } from 'express';
import { NotFoundError } from '../../base/errors.ts';
import type { Validator } from '../../base/validation.ts';
import { rawBody } from '../../http/body.ts';
import { callerOf, setCaller } from '../../http/caller.ts';
import { requestIdOf } from '../../http/request-id.ts';
import { sendJson, sendNoContent } from '../../http/respond.ts';
import { resource as sharedResource, type ResourceHandlers } from '../../http/routing.ts';
import type { IdentityService } from '../services/identity-service.ts';
import { readAuthBody } from './auth-body.ts';
import { identityVersion, projectsView, projectView, tokenView, userView, type IdentityViewOptions } from './identity-views.ts';

/** The identity service to answer from, the schema validator, and what the views need. */
export interface IdentityRouterDeps extends IdentityViewOptions {
  identity: IdentityService;
  validator: Validator;
}

/** Keystone serves HEAD from GET; any other method gets the shared 405 (worded as Keystone's by the renderer). */
function resource(router: Router, path: string, handlers: ResourceHandlers): void {
  sharedResource(router, path, handlers, { head: 'from-get' });
}

/** A path parameter the route pattern guarantees. */
function paramOf(req: Request, name: string): string {
  const value: unknown = req.params[name];
  return typeof value === 'string' ? value : '';
}

/** Keystone leaves the catalog out of a token document when the query has `nocatalog`. */
const includeCatalog = (req: Request): boolean => !('nocatalog' in (req.query as Record<string, unknown>));
const subjectToken = (req: Request): string | undefined => req.get('x-subject-token');
/** The request's path and query below `/identity`, for collection `self` links. */
const selfPath = (req: Request): string => req.originalUrl.replace(/^\/identity/, '');
/** A query parameter given once; repeated or absent ones filter nothing. */
const textOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The version documents: `/` lists the one version, `/v3` describes it. */
function versionRoutes(router: Router, publicUrl: string): void {
  resource(router, '/', {
    get: [
      (_req, res) => {
        res.setHeader('Location', `${publicUrl}/identity/v3/`);
        sendJson(res, 300, { versions: { values: [identityVersion(publicUrl)] } });
      },
    ],
  });
  resource(router, '/v3', { get: [(_req, res) => sendJson(res, 200, { version: identityVersion(publicUrl) })] });
}

/** `/v3/auth/tokens`: issue (POST), validate (GET) and revoke (DELETE). */
function tokenRoutes(router: Router, deps: IdentityRouterDeps): void {
  const { identity, validator } = deps;
  resource(router, '/v3/auth/tokens', {
    post: [
      rawBody,
      async (req, res) => {
        const issued = await identity.issueToken(readAuthBody(req, validator), requestIdOf(res));
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
}

/** The directory reads, each for a valid `X-Auth-Token` only (its caller decides what may be read). */
function directoryRoutes(router: Router, deps: IdentityRouterDeps): void {
  const { identity, publicUrl } = deps;
  const requireToken: RequestHandler = async (req, res, next) => {
    setCaller(res, await identity.requireCaller(req.get('x-auth-token')));
    next();
  };
  resource(router, '/v3/auth/projects', {
    get: [requireToken, (req, res) => sendJson(res, 200, projectsView(identity.projectsOfCaller(callerOf(res)), publicUrl, selfPath(req)))],
  });
  resource(router, '/v3/projects', {
    get: [
      requireToken,
      (req, res) => {
        const query = req.query as Record<string, unknown>;
        const projects = identity.listProjects(callerOf(res), { name: textOf(query['name']), domainId: textOf(query['domain_id']) });
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
}

/** The router to mount at `/identity` (builtin auth mode only). */
export function createIdentityRouter(deps: IdentityRouterDeps): Router {
  const router = Router();
  versionRoutes(router, deps.publicUrl);
  tokenRoutes(router, deps);
  directoryRoutes(router, deps);
  // Anything else below /identity is Keystone's 404, not Glance's version document.
  router.use(() => {
    throw new NotFoundError();
  });
  return router;
}
