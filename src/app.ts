/**
 * The app factory: wires stores → services → routers from plain dependencies, registers the
 * single error handler last, and never listens (server.ts does).
 */
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Db } from './store/db.ts';
import type { Validator } from './validation.ts';
import { createErrorHandler, notFoundHandler } from './http/error-handler.ts';
import { createHealthRouter } from './http/health.ts';
import { requestIdMiddleware } from './http/request-id.ts';
import { accessLog } from './http/access-log.ts';
import { createVersionsRouter } from './http/versions.ts';

export interface AppDeps {
  config: Readonly<Config>;
  db: Db;
  logger: Logger;
  clock: Clock;
  validator: Validator;
}

export function createApp(deps: AppDeps): Express {
  const { config, db, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(requestIdMiddleware(logger));
  app.use(accessLog);
  app.use(createHealthRouter({ isDatabaseUp: () => db.raw('select 1').then(() => true, () => false) }));
  app.use(createVersionsRouter({ publicUrl: config.publicUrl, ownPrefixes: ['healthcheck', 'identity'] }));

  app.use(notFoundHandler);
  app.use(createErrorHandler(logger));
  return app;
}
