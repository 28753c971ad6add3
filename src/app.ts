/**
 * The wiring, once: stores from the databases, then services from the stores, then the HTTP app
 * from the services, with the single error handler registered last. Plain dependency arguments,
 * no module singletons; nothing here listens or reads the environment (server.ts does), and the
 * databases are opened and closed by the caller (compose.ts, or a test).
 */
import { join } from 'node:path';
import express, { Router, type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Clock } from './base/clock.ts';
import type { Config } from './base/config.ts';
import type { Validator } from './base/validation.ts';
import { accessLog } from './http/access-log.ts';
import { createAuditLog } from './http/audit-log.ts';
import { createErrorHandler, notFoundHandler } from './http/error-handler.ts';
import { createErrorRenderer, type ErrorRenderer } from './http/error-render.ts';
import { createHealthRouter } from './http/health.ts';
import { requestIdMiddleware } from './http/request-id.ts';
import { refuseLongUrl, refuseNulInUrl } from './http/request-guards.ts';
import { createSchemasRouter } from './http/schemas-router.ts';
import { createV2RootRouter } from './http/v2-root.ts';
import { createVersionsRouter } from './http/versions.ts';
import { createBatchRouter } from './batch/http/batch-router.ts';
import { createBatchService, type BatchService } from './batch/services/batch-service.ts';
import { createJobRecovery, type JobRecovery } from './batch/services/job-recovery.ts';
import { createMemberPages } from './batch/services/member-pages.ts';
import { createJobStore } from './batch/store/job-store.ts';
import { createAuthenticateMiddleware } from './identity/http/authenticate.ts';
import { createIdentityRouter } from './identity/http/identity-router.ts';
import { createIdentityService, type IdentityService } from './identity/services/identity-service.ts';
import { createKeystoneAuthenticator, type KeystoneAuthenticator } from './identity/services/keystone-authenticator.ts';
import type { TokenAuthenticator } from './identity/services/token-authenticator.ts';
import { createTokenStore } from './identity/store/token-store.ts';
import { createImagesRouter } from './images/http/images-router.ts';
import { createImageService, type ImageService } from './images/services/image-service.ts';
import { createUploadRecovery, type UploadRecovery } from './images/services/upload-recovery.ts';
import { createImageFileStore } from './images/store/image-files.ts';
import { createImageStore } from './images/store/image-store.ts';
import { createMembersRouter } from './members/http/members-router.ts';
import { createMemberQuotaService, type MemberQuotaService } from './members/services/member-quota.ts';
import { createMemberService, type MemberService } from './members/services/member-service.ts';
import { createMemberStore } from './members/store/member-store.ts';
import type { Db } from './store/db.ts';
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

/** The service: its HTTP app and the lifecycle of the work it does beside requests. */
export interface GlanceShare {
  app: Express;
  /** Shapes error answers; the HTTP server uses it for what Node refuses before the app. */
  errorRenderer: ErrorRenderer;
  /** Starts background work (upload and batch job recovery); resolves after its first pass. */
  start(): Promise<void>;
  /** Stops background work and outbound clients; the databases stay open for their opener to close. */
  stop(): Promise<void>;
}

interface Services {
  images: ImageService;
  members: MemberService;
  quotas: MemberQuotaService;
  /** The built-in identity: serves /identity in builtin mode, and validates /v2 tokens there. */
  identity: IdentityService;
  /** Validates /v2 tokens: the built-in identity, or a real Keystone in keystone mode. */
  tokens: TokenAuthenticator & Pick<KeystoneAuthenticator, 'projectExists'> & Partial<Pick<KeystoneAuthenticator, 'close'>>;
  uploadRecovery: UploadRecovery;
  /** The IMS-compatible batch jobs (/v1) and the recovery of jobs a crash interrupted. */
  batch: BatchService;
  jobRecovery: JobRecovery;
}

/** Stores, then the services over them. The image store is shared by images and upload recovery. */
function createServices({ config, db, readDb, clock, logger }: AppDeps): Services {
  const images = createImageStore(db, readDb ?? db);
  const files = createImageFileStore(config.images.storeDir);
  const audit = createAuditLog(logger);
  const identity = createIdentityService({ config: config.auth, tokens: createTokenStore(db), clock, logger, audit });
  const keystone = config.auth.mode === 'keystone' ? config.auth.keystone : undefined;
  const tokens = keystone === undefined ? identity : createKeystoneAuthenticator({ config: keystone, clock, logger });
  // Grantees are checked against whichever identity knows the projects (never in trusted-headers mode).
  const projects = config.members.checkGranteeExists ? tokens : undefined;
  const { savingTimeoutSeconds } = config.images;
  const memberStore = createMemberStore(db, { reads: readDb ?? db });
  const members = createMemberService({
    members: memberStore,
    ...{ clock, policyMode: config.policy.mode, limits: config.memberLimits, audit },
    ...(projects === undefined ? {} : { projects }),
  });
  const jobs = createJobStore(db);
  const batch = createBatchService({ jobs, members, clock, logger });
  return {
    images: createImageService({
      ...{ store: images, files, clock, policyMode: config.policy.mode },
      ...{ maxUploadBytes: config.images.maxUploadBytes, savingTimeoutSeconds, audit },
    }),
    members,
    quotas: createMemberQuotaService({ members: memberStore, limits: config.memberLimits }),
    identity,
    tokens,
    uploadRecovery: createUploadRecovery({ store: images, files, clock, savingTimeoutSeconds, logger }),
    batch,
    jobRecovery: createJobRecovery({ jobs, batch, clock, logger }),
  };
}

/** `/v2`: authentication first, then Glance's routes; strict, as Glance answers a trailing slash with 404. */
/** The one authentication of /v2 and /v1. */
function createAuthenticate({ config }: AppDeps, services: Services): RequestHandler {
  const keystoneUrl = config.auth.mode === 'keystone' ? config.auth.keystone.url : undefined;
  return createAuthenticateMiddleware({ mode: config.auth.mode, tokens: services.tokens, ...(keystoneUrl ? { keystoneUrl } : {}) });
}

function createV2Router(deps: AppDeps, services: Services): Router {
  const { config, validator, schemaDir = defaultSchemaDir } = deps;
  const v2 = Router({ strict: true });
  v2.use(createAuthenticate(deps, services));
  v2.use(createV2RootRouter({ publicUrl: config.publicUrl }));
  v2.use('/schemas', createSchemasRouter({ glanceSchemaDir: join(schemaDir, 'glance') }));
  v2.use(createImagesRouter({ service: services.images, validator, publicUrl: config.publicUrl }));
  v2.use(createMembersRouter({ members: services.members, quotas: services.quotas, validator }));
  return v2;
}

function createHttpApp(deps: AppDeps, services: Services, errorRenderer: ErrorRenderer): Express {
  const { config, db, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIdMiddleware(logger));
  app.use(accessLog);
  app.use(refuseLongUrl);
  app.use(refuseNulInUrl);
  const isDatabaseUp = (): Promise<boolean> =>
    db.raw('select 1').then(
      () => true,
      () => false,
    );
  app.use(createHealthRouter({ isDatabaseUp }));
  if (config.auth.mode === 'builtin') {
    const { identity } = services;
    app.use(
      '/identity',
      createIdentityRouter({ identity, validator: deps.validator, publicUrl: config.publicUrl, region: config.auth.region }),
    );
  }
  // The IMS-compatible batch API: only its own /v1 routes (authenticated each); other /v1 paths
  // still get the version document.
  const pages = createMemberPages(services.members);
  app.use(createBatchRouter({ batch: services.batch, pages, validator: deps.validator, authenticate: createAuthenticate(deps, services) }));
  app.use(createVersionsRouter({ publicUrl: config.publicUrl, ownPrefixes: ['healthcheck', 'identity'] }));
  app.use('/v2', createV2Router(deps, services));
  app.use(notFoundHandler);
  app.use(createErrorHandler(logger, { renderer: errorRenderer, isDatabaseUnavailable }));
  return app;
}

export function createApp(deps: AppDeps): GlanceShare {
  const services = createServices(deps);
  // Errors under /identity are Keystone documents, but only where the built-in identity serves it.
  const errorRenderer = createErrorRenderer({ keystonePrefix: deps.config.auth.mode === 'builtin' ? '/identity' : undefined });
  return {
    app: createHttpApp(deps, services, errorRenderer),
    errorRenderer,
    async start() {
      await Promise.all([services.uploadRecovery.start(), services.jobRecovery.start()]);
    },
    async stop() {
      services.uploadRecovery.stop();
      services.jobRecovery.stop();
      await services.batch.stop();
      services.tokens.close?.();
    },
  };
}
