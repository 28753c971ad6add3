/**
 * The single error middleware (registered last) and the not-found handler. Glance's routes answer
 * with webob error pages negotiated by Accept; the Keystone-compatible identity routes answer with
 * Keystone's `{"error": {...}}` document, chosen by `res.locals.errorStyle`.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import {
  ApiError,
  INTERNAL_ERROR_TEXT,
  MethodNotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
  statusTitle,
} from '../base/errors.ts';
import { sendBody, sendJson } from './respond.ts';
import { negotiateErrorFormat, renderWebobError } from './webob-format.ts';

export const notFoundHandler: RequestHandler = () => {
  throw new NotFoundError();
};

/** Errors raised by body-parser and the HTTP layer carry these fields. */
interface HttpishError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  expose?: unknown;
}

function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  const httpish = error as HttpishError;
  const status = typeof httpish?.status === 'number' ? httpish.status : httpish?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  switch (httpish.type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'Malformed JSON in request body.');
    case 'entity.too.large':
      return new ApiError(413, 'The request body is too large.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'Unsupported Content-Encoding or charset in request body.');
    case 'request.aborted':
      return new ApiError(400, 'The request body was not completely received.');
    default:
      return new ApiError(status, statusTitle(status));
  }
}

export interface ErrorHandlerOptions {
  /** Recognises a database outage (from the store layer), answered 503 instead of 500. */
  isDatabaseUnavailable?: (error: unknown) => boolean;
}

export function createErrorHandler(logger: Logger, options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const apiError = options.isDatabaseUnavailable?.(error)
      ? new ServiceUnavailableError('The database is unavailable; try again later.', { cause: error })
      : toApiError(error);
    const status = apiError?.status ?? 500;
    const message = apiError?.message ?? INTERNAL_ERROR_TEXT;
    const log = (res.locals['log'] as Logger | undefined) ?? logger;
    if (status >= 500) log.error({ err: error }, 'request failed');
    else log.debug({ status, message }, 'request refused');

    if (apiError instanceof MethodNotAllowedError) res.setHeader('Allow', apiError.allow.join(', '));
    if (res.locals['errorStyle'] === 'keystone') {
      sendJson(res, status, { error: { code: status, title: statusTitle(status), message } });
      return;
    }
    if (req.method === 'HEAD') {
      res.status(status).setHeader('Content-Type', 'text/html; charset=UTF-8');
      res.end();
      return;
    }
    const rendered = renderWebobError(status, message, negotiateErrorFormat(req.get('accept')));
    sendBody(res, status, rendered.contentType, rendered.body);
  };
}
