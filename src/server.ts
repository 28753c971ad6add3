#!/usr/bin/env node
/**
 * The process entry point, and the only module that reads the environment, listens, or handles
 * signals. Usage:
 *   glance-share [serve] [--config FILE]   serve the API (GLANCE_SHARE_CONFIG=FILE works too;
 *                                          HOST and PORT override the listen address)
 *   glance-share migrate [--config FILE]   bring the database schema up to date, then exit
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from './base/clock.ts';
import { ConfigError, loadConfig, type Config } from './base/config.ts';
import { createLogger } from './base/logger.ts';
import { createValidator, type Validator } from './base/validation.ts';
import { migrateDatabase, openGlanceShare, type Runtime } from './compose.ts';
import { createHttpServer } from './http/http-server.ts';
import { DEMO_PASSWORD, demoIdentity } from './identity/services/demo-identity.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Longest a SIGTERM waits for requests in flight (an upload included) before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 30_000;

interface Invocation {
  command: 'serve' | 'migrate';
  config: Readonly<Config>;
  usingDemo: boolean;
}

/** The command line and the environment → the command and its validated configuration. */
async function readInvocation(validator: Validator): Promise<Invocation> {
  const { values, positionals } = parseArgs({ options: { config: { type: 'string' } }, allowPositionals: true });
  const command = positionals[0] ?? 'serve';
  if ((command !== 'serve' && command !== 'migrate') || positionals.length > 1) {
    throw new ConfigError([`unknown command ${JSON.stringify(positionals.join(' '))}; use "serve" or "migrate"`]);
  }
  const configPath = values.config ?? process.env['GLANCE_SHARE_CONFIG'];
  let file: unknown;
  if (configPath !== undefined && configPath !== '') {
    try {
      file = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (error) {
      throw new ConfigError([`${configPath}: ${(error as Error).message}`]);
    }
  } else {
    file = { auth: await demoIdentity() };
  }
  const config = loadConfig({
    file,
    baseDir: configPath ? dirname(resolve(configPath)) : process.cwd(),
    env: { HOST: process.env['HOST'], PORT: process.env['PORT'] },
    check: (data) => validator.check('config.json', data),
  });
  return { command, config, usingDemo: configPath === undefined || configPath === '' };
}

async function serve(runtime: Runtime, usingDemo: boolean): Promise<void> {
  const { config, logger } = runtime;
  const service = await openGlanceShare(runtime);
  const server = createHttpServer(service.app, { http: config.http, logger, renderer: service.errorRenderer });
  server.listen(config.port, config.host);
  await new Promise<void>((resolveListen, reject) => {
    server.once('listening', resolveListen);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const { host, publicUrl } = config;
  logger.info({ host, port, publicUrl, database: config.database.client, auth: config.auth.mode }, 'glance-share listening');
  if (usingDemo) printDemoHelp(publicUrl);

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

async function main(): Promise<void> {
  const validator = createValidator(join(projectRoot, 'schemas'));
  const { command, config, usingDemo } = await readInvocation(validator);
  const logger = createLogger(config.logLevel);
  if (command === 'migrate') await migrateDatabase({ config, logger });
  else await serve({ config, logger, clock: systemClock, validator }, usingDemo);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
});
