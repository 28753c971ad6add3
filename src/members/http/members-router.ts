/**
 * `/v2/images/{image_id}/members[/{member_id}]`. Routes check the body the way Glance's
 * deserializer does (texts and order from spec section 3), call one service method, and render.
 */
import { Router, type Request } from 'express';
import { BadRequestError, NotFoundError } from '../../base/errors.ts';
import type { MemberQuotaService } from '../services/member-quota.ts';
import type { MemberService } from '../services/member-service.ts';
import type { Validator } from '../../base/validation.ts';
import { jsonBodyOf, rawBody, refuseBody } from '../../http/body.ts';
import { callerOf } from '../../http/caller.ts';
import { memberQuotaView, membersViewJson, memberViewJson } from './member-views.ts';
import { sendBody, sendJson, sendNoContent } from '../../http/respond.ts';
import { resource } from '../../http/routing.ts';

function imageIdOf(req: Request): string {
  return String(req.params['imageId']);
}

/**
 * Glance decodes `%2F` before routing, so a member id containing `/` can never be addressed:
 * the router answers its generic 404.
 */
function memberIdOf(req: Request): string {
  const memberId = String(req.params['memberId']);
  if (memberId.includes('/')) throw new NotFoundError();
  return memberId;
}

/** `{"member": "<project>"}` with Glance's texts, then our own stricter type/length check. */
function memberToAdd(req: Request, validator: Validator): string {
  const body = jsonBodyOf(req);
  if (Array.isArray(body)) throw new BadRequestError('Expected a member in the form: {"member": "image_id"}');
  const record = body as Record<string, unknown>;
  if (!('member' in record)) throw new BadRequestError('Member to be added not specified');
  const member = record['member'];
  const isEmpty =
    !member || (Array.isArray(member) && member.length === 0) || (typeof member === 'object' && Object.keys(member).length === 0);
  if (isEmpty) throw new BadRequestError("Member can't be empty");
  if (validator.check('member-create.json', record).length > 0) {
    throw new BadRequestError('Invalid member: a member must be a project id given as a string of 1 to 255 characters.');
  }
  return member as string;
}

/** `{"status": ...}`: presence only; the value is checked by the service after the permission checks. */
function statusToSet(req: Request): unknown {
  const body = jsonBodyOf(req);
  if (Array.isArray(body)) throw new BadRequestError('Expected a status in the form: {"status": "status"}');
  const record = body as Record<string, unknown>;
  if (!('status' in record)) throw new BadRequestError('Status not specified');
  return record['status'];
}

export function createMembersRouter(deps: { members: MemberService; quotas: MemberQuotaService; validator: Validator }): Router {
  const { members, validator } = deps;
  const router = Router({ strict: true });

  // An extension: Glance has no such path, so no Glance client's answer changes.
  resource(router, '/images/:imageId/member-quota', {
    get: [
      refuseBody,
      async (req, res) => {
        sendJson(res, 200, memberQuotaView(await deps.quotas.quota(callerOf(res), imageIdOf(req))));
      },
    ],
  });

  resource(router, '/images/:imageId/members', {
    get: [
      refuseBody,
      async (req, res) => {
        sendBody(res, 200, 'application/json', membersViewJson(await members.list(callerOf(res), imageIdOf(req))));
      },
    ],
    post: [
      rawBody,
      async (req, res) => {
        const memberId = memberToAdd(req, validator);
        sendBody(res, 200, 'application/json', memberViewJson(await members.add(callerOf(res), imageIdOf(req), memberId)));
      },
    ],
  });

  resource(router, '/images/:imageId/members/:memberId', {
    get: [
      refuseBody,
      async (req, res) => {
        sendBody(res, 200, 'application/json', memberViewJson(await members.show(callerOf(res), imageIdOf(req), memberIdOf(req))));
      },
    ],
    put: [
      rawBody,
      async (req, res) => {
        const memberId = memberIdOf(req);
        const status = statusToSet(req);
        sendBody(res, 200, 'application/json', memberViewJson(await members.updateStatus(callerOf(res), imageIdOf(req), memberId, status)));
      },
    ],
    delete: [
      refuseBody,
      async (req, res) => {
        await members.remove(callerOf(res), imageIdOf(req), memberIdOf(req));
        sendNoContent(res);
      },
    ],
  });
  return router;
}
