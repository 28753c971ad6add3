/**
 * `glance-share serve`: refuses what must not serve (startupProblems), logs once where everything
 * is, checks the directories it writes, opens the service (compose.ts), listens, and on SIGTERM or
 * SIGINT stops accepting connections, lets requests in flight finish, closes the service and the
 * pools and exits 0. Each start-up failure an operator can fix is one line (startup-checks.ts).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { systemClock } from '../base/clock.ts';
import { startupProblems, type Config } from '../base/config.ts';
import { createLogger } from '../base/logger.ts';
import type { Validator } from '../base/validation.ts';
import { openGlanceShare, type OpenGlanceShare } from '../compose.ts';
import { createHttpServer } from '../http/http-server.ts';
import { DEMO_PASSWORD } from '../identity/services/demo-identity.ts';
import { problemLines, type EffectiveConfig } from './config-file.ts';
import { OperatorError } from './operator-error.ts';
import { maskUrlPassword } from './secrets.ts';
import { databaseFailure, ensureWritableDirectories, listenFailure } from './startup-checks.ts';

/** Longest a SIGTERM waits for requests in flight (an upload included) before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 30_000;

/** How the process wants its logs: pretty (pino-pretty, development only) or the JSON lines of production. */
export interface ServeOptions {
  prettyLogs: boolean;
}

export async function serve({ config, file }: EffectiveConfig, validator: Validator, options: ServeOptions): Promise<void> {
  const problems = startupProblems(config);
  if (problems.length > 0) throw new OperatorError(problemLines(file, problems));
  const logger = createLogger(config.logLevel, { pretty: options.prettyLogs });
  logConfiguration(logger, config, file);
  ensureWritableDirectories(config, { withImages: true });
  const service = await openGlanceShare({ config, logger, clock: systemClock, validator }).catch((error: unknown) => {
    throw databaseFailure(error, config);
  });
  const server = createHttpServer(service.app, { http: config.http, logger, renderer: service.errorRenderer });
  try {
    await listen(server, config.port, config.host);
  } catch (error) {
    await service.close();
    throw listenFailure(error, config.host, config.port);
  }
  // Ready for SIGTERM before saying so: whoever waits for the line below may stop us at once, and
  // a signal that arrived before the handler would kill the process instead of stopping it.
  stopOnSignals(server, service, logger);
  const { port } = server.address() as AddressInfo;
  const { host, publicUrl } = config;
  logger.info({ host, port, publicUrl, database: config.database.client, auth: config.auth.mode }, 'glance-share listening');
  if (config.auth.demo) printDemoHelp(publicUrl);
}

/** Where everything is, once, as absolute paths: what an operator checks first when the service surprises them. */
function logConfiguration(logger: Logger, config: Readonly<Config>, file: string | undefined): void {
  const { database } = config;
  logger.info(
    {
      configFile: file ?? 'none: demo identity',
      dataDir: config.dataDir,
      database:
        database.client === 'pg'
          ? { client: 'pg', url: maskUrlPassword(database.url ?? '') }
          : { client: 'sqlite3', file: database.filename },
      imageStore: config.images.storeDir,
      identity: { mode: config.auth.mode, demo: config.auth.demo },
      policy: config.policy.mode,
      memberLimits: config.memberLimits,
    },
    'glance-share configuration',
  );
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => reject(error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

function stopOnSignals(server: Server, service: OpenGlanceShare, logger: Logger): void {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close(() => {
      service.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function printDemoHelp(publicUrl: string): void {
  process.stdout.write(`
glance-share is running with its demo identity (auth.demo; what runs without a configuration file).
Projects proj-a, proj-b, proj-c with users alice, bob, carol, and admin/admin; every password is "${DEMO_PASSWORD}".
Point the openstack client at it:

  export OS_AUTH_URL=${publicUrl}/identity/v3 OS_IDENTITY_API_VERSION=3
  export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
  export OS_USERNAME=alice OS_PROJECT_NAME=proj-a OS_PASSWORD=${DEMO_PASSWORD}
  openstack image create --disk-format raw --container-format bare --file /etc/hostname demo-image
  openstack image add project demo-image proj-b

`);
}
