/** Access to the authenticated caller that the authentication middleware put on the response. */
import type { Response } from 'express';
import type { Caller } from '../base/domain.ts';
import { requestIdOf } from './request-id.ts';

/** Sets the caller, with the request's id (request-id.ts) so that services can name it in audit records. */
export function setCaller(res: Response, caller: Caller): void {
  const requestId = requestIdOf(res);
  res.locals['caller'] = requestId === undefined ? caller : { ...caller, requestId };
}

/** The caller if one has been established yet (for the access log), else undefined. */
export function callerIfAny(res: Response): Caller | undefined {
  return res.locals['caller'] as Caller | undefined;
}

export function callerOf(res: Response): Caller {
  const caller = res.locals['caller'] as Caller | undefined;
  // Only reachable if a route were mounted outside the authentication middleware.
  if (caller === undefined) throw new Error('route reached without an authenticated caller');
  return caller;
}
