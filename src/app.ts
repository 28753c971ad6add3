/**
 * The app factory: wires stores → services → routers from plain dependencies, registers the
 * single error handler last, and never listens (server.ts does).
 */
import { join } from 'node:path';
import express, { Router, type Express } from 'express';
import type { Logger } from 'pino';
import type { Clock } from './base/clock.ts';
import type { Config } from './base/config.ts';
import type { Db } from './store/db.ts';
import type { Validator } from './base/validation.ts';
import { accessLog } from './http/access-log.ts';
import { createAuthenticateMiddleware } from './identity/http/authenticate.ts';
import { createErrorHandler, notFoundHandler } from './http/error-handler.ts';
import { createHealthRouter } from './http/health.ts';
import { createIdentityRouter, keystoneErrorStyle } from './identity/http/identity-router.ts';
import { createIdentityService } from './identity/services/identity-service.ts';
import { createKeystoneAuthenticator } from './identity/services/keystone-authenticator.ts';
import { createTokenStore } from './identity/store/token-store.ts';
import { requestIdMiddleware } from './http/request-id.ts';
import { refuseLongUrl, refuseNulInUrl } from './http/request-guards.ts';
import { createSchemasRouter } from './http/schemas-router.ts';
import { createV2RootRouter } from './http/v2-root.ts';
import { createVersionsRouter } from './http/versions.ts';
import { createMembersRouter } from './members/http/members-router.ts';
import { createMemberService } from './members/services/member-service.ts';
import { createImageStore } from './images/store/image-store.ts';
import { createImagesRouter } from './images/http/images-router.ts';
import { createImageService } from './images/services/image-service.ts';
import { createImageFileStore } from './images/store/image-files.ts';
import { createMemberStore } from './members/store/member-store.ts';
import { isDatabaseUnavailable } from './store/sql-errors.ts';

export interface AppDeps {
  config: Readonly<Config>;
  db: Db;
  /** Where reads outside transactions run (store/db.ts `createReadDb`); defaults to `db`. */
  readDb?: Db;
  logger: Logger;
  clock: Clock;
  validator: Validator;
  /** Where schemas/ lives; defaults to the project's own. */
  schemaDir?: string;
}

const defaultSchemaDir = join(import.meta.dirname, '..', 'schemas');

export function createApp(deps: AppDeps): Express {
  const { config, db, logger } = deps;
  const readDb = deps.readDb ?? db;
  const schemaDir = deps.schemaDir ?? defaultSchemaDir;

  // Stores and services. The image store is shared by the image and member services.
  const imageStore = createImageStore(db, readDb);
  const members = createMemberService({
    members: createMemberStore(db, readDb),
    clock: deps.clock,
    policyMode: config.policy.mode,
    limits: config.memberLimits,
  });
  // The built-in identity is built in every mode: /v2 authenticates through it unless headers are trusted.
  const identity = createIdentityService({ config: config.auth, tokens: createTokenStore(db), clock: deps.clock, logger });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (config.auth.mode === 'builtin') app.use('/identity', keystoneErrorStyle);
  app.use(requestIdMiddleware(logger));
  app.use(accessLog);
  app.use(refuseLongUrl);
  app.use(refuseNulInUrl);
  app.use(
    createHealthRouter({
      isDatabaseUp: () =>
        db.raw('select 1').then(
          () => true,
          () => false,
        ),
    }),
  );
  if (config.auth.mode === 'builtin') {
    app.use(
      '/identity',
      createIdentityRouter({ identity, validator: deps.validator, publicUrl: config.publicUrl, region: config.auth.region }),
    );
  }
  app.use(createVersionsRouter({ publicUrl: config.publicUrl, ownPrefixes: ['healthcheck', 'identity'] }));

  // Strict routing: Glance answers a trailing slash with 404.
  const v2 = Router({ strict: true });
  // keystone mode: tokens are validated by the configured Keystone instead of the built-in identity.
  const keystone = config.auth.mode === 'keystone' ? config.auth.keystone : undefined;
  const tokens = keystone === undefined ? identity : createKeystoneAuthenticator({ config: keystone, clock: deps.clock, logger });
  v2.use(
    createAuthenticateMiddleware({ mode: config.auth.mode, tokens, ...(keystone === undefined ? {} : { keystoneUrl: keystone.url }) }),
  );
  v2.use(createV2RootRouter({ publicUrl: config.publicUrl }));
  v2.use('/schemas', createSchemasRouter({ glanceSchemaDir: join(schemaDir, 'glance') }));
  v2.use(
    createImagesRouter({
      service: createImageService({
        store: imageStore,
        files: createImageFileStore(config.images.storeDir),
        clock: deps.clock,
        policyMode: config.policy.mode,
        maxUploadBytes: config.images.maxUploadBytes,
        savingTimeoutSeconds: config.images.savingTimeoutSeconds,
      }),
      validator: deps.validator,
      glanceSchemaDir: join(schemaDir, 'glance'),
      publicUrl: config.publicUrl,
    }),
  );
  v2.use(createMembersRouter({ members, validator: deps.validator }));
  app.use('/v2', v2);

  app.use(notFoundHandler);
  app.use(createErrorHandler(logger, { isDatabaseUnavailable }));
  return app;
}
