/**
 * One log line per request, after the response: the request id (from the request's child logger),
 * the caller's user and project ids (null before authentication), method, path, status and
 * duration. Never headers, never a token.
 */
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { callerIfAny } from './caller.ts';

export const accessLog: RequestHandler = (req, res, next) => {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const log = res.locals['log'] as Logger;
    const caller = callerIfAny(res);
    log.info(
      {
        user: caller?.userId ?? null,
        project: caller?.projectId ?? null,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'request',
    );
  });
  next();
};
