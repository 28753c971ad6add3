/**
 * `X-Openstack-Request-Id` on every response: the client's own id is reused (with Glance's `req-`
 * prefix added when missing), otherwise `req-<uuid4>`. A child logger carrying the id is put on
 * `res.locals.log` so every log line of the request names it.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { RequestHeaderFieldsTooLargeError } from '../base/errors.ts';

/** Glance's `max_request_id_length`. */
const MAX_REQUEST_ID_LENGTH = 64;

/** The request's id, as the middleware below set it (undefined only before it ran). */
export function requestIdOf(res: Response): string | undefined {
  return res.locals['requestId'] as string | undefined;
}

export function requestIdMiddleware(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const supplied = req.get('x-openstack-request-id');
    let requestId = `req-${randomUUID()}`;
    let tooLong = false;
    if (supplied !== undefined && supplied !== '') {
      if (supplied.length > MAX_REQUEST_ID_LENGTH) tooLong = true;
      else requestId = supplied.startsWith('req-') ? supplied : `req-${supplied}`;
    }
    res.setHeader('X-Openstack-Request-Id', requestId);
    res.locals['requestId'] = requestId;
    res.locals['log'] = logger.child({ requestId });
    if (tooLong) {
      // Glance meant to answer 431 here but answers 500 (spec section 2.4); we answer what was intended.
      next(new RequestHeaderFieldsTooLargeError(`Request ID is too long (more than ${MAX_REQUEST_ID_LENGTH} characters).`));
      return;
    }
    next();
  };
}
