/**
 * The single error middleware (registered last) and the not-found handler: every error becomes an
 * ApiError (or a 500 whose details go to the log only) and is shaped by the one error renderer
 * (error-render.ts): Glance's webob pages, or Keystone's document under the built-in identity.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ApiError, INTERNAL_ERROR_TEXT, NotFoundError, ServiceUnavailableError, statusTitle } from '../base/errors.ts';
import type { ErrorRenderer } from './error-render.ts';
import { sendBody } from './respond.ts';

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
  /** Shapes the answer (error-render.ts), the same renderer the HTTP server uses. */
  renderer: ErrorRenderer;
  /** Recognises a database outage (from the store layer), answered 503 instead of 500. */
  isDatabaseUnavailable?: (error: unknown) => boolean;
}

export function createErrorHandler(logger: Logger, options: ErrorHandlerOptions): ErrorRequestHandler {
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

    const path = req.originalUrl.split('?')[0];
    const answer = options.renderer.render(status, message, { path, accept: req.get('accept'), method: req.method }, apiError);
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    if (answer.headOnly) {
      res.status(status).setHeader('Content-Type', answer.contentType);
      res.end();
      return;
    }
    sendBody(res, status, answer.contentType, answer.body);
  };
}
