/**
 * The IMS-compatible batch sharing API (spec ims-sharing.md sections 2–6): the three batch member
 * calls on `/v1/cloudimages/members`, the job queries and the member reads. Every route runs the
 * same authentication as /v2 (given by app.ts); errors are shaped as IMS documents by the one error
 * renderer (the `/v1` prefix). Other `/v1` paths are not routed here and keep the version document.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Caller } from '../../base/domain.ts';
import { ImsError } from '../../base/errors.ts';
import type { Validator } from '../../base/validation.ts';
import { rawBody } from '../../http/body.ts';
import { callerOf } from '../../http/caller.ts';
import { sendJson } from '../../http/respond.ts';
import { resource } from '../../http/routing.ts';
import type { BatchService } from '../services/batch-service.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type MemberPages } from '../services/member-pages.ts';
import type { BatchKind } from '../services/pair-outcomes.ts';
import { batchRequestOf, idempotencyKeyOf, waitOf } from './batch-request.ts';
import { jobView, membersView, memberView } from './batch-views.ts';

export interface BatchRouterDeps {
  batch: BatchService;
  pages: MemberPages;
  validator: Validator;
  /** The /v2 authentication middleware (identity room), which sets the caller. */
  authenticate: RequestHandler;
}

const param = (req: Request, name: string): string => String(req.params[name]);

/** The `{project_id}` of the path must be the caller's own project. */
function checkProject(req: Request, caller: Caller): void {
  if (param(req, 'projectId') !== caller.projectId) {
    throw new ImsError(403, 'IMG.0161', 'You do not have permission: the project ID in the path is not the project of the caller.');
  }
}

function limitOf(req: Request): number {
  const raw = req.query['limit'];
  if (raw === undefined) return DEFAULT_PAGE_SIZE;
  const limit = typeof raw === 'string' && /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) {
    throw new ImsError(400, 'IMG.0001', `The request message format is invalid: limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return limit;
}

function markerOfQuery(req: Request): string | undefined {
  const marker = req.query['marker'];
  if (marker === undefined || marker === '') return undefined;
  if (typeof marker !== 'string') throw new ImsError(400, 'IMG.0001', 'The request message format is invalid: one marker only.');
  return marker;
}

export function createBatchRouter(deps: BatchRouterDeps): Router {
  const { batch, pages, validator, authenticate } = deps;
  const router = Router({ strict: true });

  const submit =
    (kind: BatchKind): RequestHandler =>
    async (req: Request, res: Response) => {
      const caller = callerOf(res);
      const request = batchRequestOf(req, validator, caller, kind);
      const job = await batch.submit(caller, request, idempotencyKeyOf(req));
      const wait = waitOf(req);
      if (wait === undefined) {
        sendJson(res, 200, { job_id: job.id });
        return;
      }
      const current = await batch.waitFor(caller, job.id, wait.seconds * 1000);
      if (wait.preferred) res.setHeader('Preference-Applied', `wait=${wait.seconds}`);
      sendJson(res, 200, jobView(current));
    };
  resource(router, '/v1/cloudimages/members', {
    post: [authenticate, rawBody, submit('add')],
    put: [authenticate, rawBody, submit('update')],
    delete: [authenticate, rawBody, submit('remove')],
  });

  const showJob: RequestHandler = async (req, res) => {
    sendJson(res, 200, jobView(await batch.job(callerOf(res), param(req, 'jobId'))));
  };
  resource(router, '/v1/cloudimages/job/:jobId', { get: [authenticate, showJob] });
  resource(router, '/v1/:projectId/jobs/:jobId', {
    get: [authenticate, (req, res, next) => (checkProject(req, callerOf(res)), next()), showJob],
  });

  resource(router, '/v1/:projectId/cloudimages/:imageId/members', {
    get: [
      authenticate,
      async (req, res) => {
        const caller = callerOf(res);
        checkProject(req, caller);
        const page = await pages.list(caller, param(req, 'imageId'), limitOf(req), markerOfQuery(req));
        sendJson(res, 200, membersView(page.members, page.nextMarker));
      },
    ],
  });
  resource(router, '/v1/:projectId/cloudimages/:imageId/members/:memberId', {
    get: [
      authenticate,
      async (req, res) => {
        const caller = callerOf(res);
        checkProject(req, caller);
        sendJson(res, 200, memberView(await pages.show(caller, param(req, 'imageId'), param(req, 'memberId'))));
      },
    ],
  });
  return router;
}
