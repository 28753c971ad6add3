/** One log line per request, after the response: method, path, status and duration (never headers). */
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

export const accessLog: RequestHandler = (req, res, next) => {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const log = res.locals['log'] as Logger;
    log.info(
      {
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
