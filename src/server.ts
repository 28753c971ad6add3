/**
 * The process entry point, and the only module that reads the environment, listens, or handles
 * signals. Usage:
 *   glance-share [serve] [--config FILE]   serve the API (GLANCE_SHARE_CONFIG=FILE works too;
 *                                          HOST and PORT override the listen address)
 *   glance-share migrate [--config FILE]   bring the database schema up to date, then exit
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { systemClock } from './base/clock.ts';
import { ConfigError, loadConfig } from './base/config.ts';
import { DEMO_PASSWORD, demoIdentity } from './identity/services/demo-identity.ts';
import { createHttpServer } from './http/http-server.ts';
import { createLogger } from './base/logger.ts';
import { recoverInterruptedUploads } from './images/services/image-data.ts';
import { createDb, createReadDb } from './store/db.ts';
import { createImageFileStore } from './images/store/image-files.ts';
import { createImageStore } from './images/store/image-store.ts';
import { migrateLatest } from './store/migrate.ts';
import { createValidator } from './base/validation.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { config: { type: 'string' } }, allowPositionals: true });
  const command = positionals[0] ?? 'serve';
  if (!['serve', 'migrate'].includes(command) || positionals.length > 1) {
    throw new ConfigError([`unknown command ${JSON.stringify(positionals.join(' '))}; use "serve" or "migrate"`]);
  }
  const configPath = values.config ?? process.env['GLANCE_SHARE_CONFIG'];
  const validator = createValidator(join(projectRoot, 'schemas'));

  let file: Record<string, unknown> = {};
  let usingDemo = false;
  if (configPath !== undefined && configPath !== '') {
    try {
      file = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError([`${configPath}: ${(error as Error).message}`]);
    }
  } else {
    file = { auth: await demoIdentity() };
    usingDemo = true;
  }
  const config = loadConfig({
    file,
    baseDir: configPath ? dirname(resolve(configPath)) : process.cwd(),
    env: { HOST: process.env['HOST'], PORT: process.env['PORT'] },
    check: (data) => validator.check('config.json', data),
  });

  const logger = createLogger(config.logLevel);
  const db = createDb(config.database);
  if (command === 'migrate') {
    await migrateLatest(db);
    logger.info({ database: config.database.client }, 'database schema is up to date');
    await db.destroy();
    return;
  }
  // On PostgreSQL migrations are an explicit step (`npm run migrate`) unless migrateOnStart is
  // set, so that instances starting together do not race for knex's migration lock.
  if (config.migrateOnStart) await migrateLatest(db);

  // Uploads a crash interrupted: at start (temporary files of images no longer in `saving`), then
  // every half timeout (images whose upload lease ran out), on whichever instance notices first.
  const recovery = {
    store: createImageStore(db),
    files: createImageFileStore(config.images.storeDir),
    clock: systemClock,
    savingTimeoutSeconds: config.images.savingTimeoutSeconds,
  };
  const recoverUploads = async (): Promise<void> => {
    try {
      const { reset, removedFiles } = await recoverInterruptedUploads(recovery);
      if (reset.length > 0 || removedFiles > 0) logger.warn({ reset, removedFiles }, 'recovered interrupted uploads');
    } catch (error) {
      logger.warn({ err: error }, 'could not recover interrupted uploads; trying again later');
    }
  };
  await recoverUploads();
  const recoveryTimer = setInterval(() => void recoverUploads(), (config.images.savingTimeoutSeconds * 1000) / 2);
  recoveryTimer.unref();

  const readDb = createReadDb(config.database, db);
  const app = createApp({ config, db, readDb, logger, clock: systemClock, validator });

  const server = createHttpServer(app, {
    http: config.http,
    logger,
    ...(config.auth.mode === 'builtin' ? { keystonePrefix: '/identity' } : {}),
  });
  server.listen(config.port, config.host);
  await new Promise<void>((resolveListen, reject) => {
    server.once('listening', resolveListen);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  logger.info(
    { host: config.host, port, publicUrl: config.publicUrl, database: config.database.client, auth: config.auth.mode },
    'glance-share listening',
  );
  if (usingDemo) printDemoHelp(config.publicUrl);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    clearInterval(recoveryTimer);
    server.close(() => {
      Promise.allSettled([db.destroy(), ...(readDb === db ? [] : [readDb.destroy()])]).finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 30_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function printDemoHelp(publicUrl: string): void {
  process.stdout.write(`
glance-share is running with its demo identity (no --config given).
Projects proj-a, proj-b, proj-c with users alice, bob, carol, and admin/admin; every password is "${DEMO_PASSWORD}".
Point the openstack client at it:

  export OS_AUTH_URL=${publicUrl}/identity/v3 OS_IDENTITY_API_VERSION=3
  export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
  export OS_USERNAME=alice OS_PROJECT_NAME=proj-a OS_PASSWORD=${DEMO_PASSWORD}
  openstack image create --disk-format raw --container-format bare --file /etc/hostname demo-image
  openstack image add project demo-image proj-b

`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
});
