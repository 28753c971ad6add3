/** Access to the authenticated caller that the authentication middleware put on the response. */
import type { Response } from 'express';
import type { Caller } from '../base/domain.ts';

export function setCaller(res: Response, caller: Caller): void {
  res.locals['caller'] = caller;
}

export function callerOf(res: Response): Caller {
  const caller = res.locals['caller'] as Caller | undefined;
  // Only reachable if a route were mounted outside the authentication middleware.
  if (caller === undefined) throw new Error('route reached without an authenticated caller');
  return caller;
}
