/**
 * glance-share as a running whole, for the serve command (cli/serve.ts): open the databases (and
 * migrate them where the configuration says so), build the app over them (app.ts), start its
 * background work; and close all of it again in the reverse order. Also the `migrate` command's
 * one step. A database that cannot be opened or reached at start is a DatabaseUnreachableError.
 */
import type { Logger } from 'pino';
import type { Clock } from './base/clock.ts';
import type { Config, DatabaseConfig } from './base/config.ts';
import type { Validator } from './base/validation.ts';
import { createApp, type GlanceShare } from './app.ts';
import { createDb, createReadDb, type Db } from './store/db.ts';
import { migrateLatest } from './store/migrate.ts';

export interface Runtime {
  config: Readonly<Config>;
  logger: Logger;
  clock: Clock;
  validator: Validator;
}

export interface OpenGlanceShare extends Pick<GlanceShare, 'app' | 'errorRenderer'> {
  /** Stops background work, then closes the database pools. */
  close(): Promise<void>;
}

/** The database could not be opened (SQLite) or reached (PostgreSQL) at start; `reason` is one line. */
export class DatabaseUnreachableError extends Error {
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`the database cannot be reached: ${reason}`, options);
    this.name = 'DatabaseUnreachableError';
  }
}

const CONNECTION_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENOTFOUND: 'host not found',
  '28P01': 'authentication failed',
  '3D000': 'no such database',
};

/** One line for why a connection failed: a refusal to two addresses (localhost) names both. */
function connectionFailure(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(connectionFailure))].join('; ');
  }
  const { name, message, code } = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown };
  if (name === 'KnexTimeoutError') return 'no connection within the connection timeout (5 s)';
  const text = (typeof message === 'string' && message !== '' ? message : String(error)).split('\n')[0]!;
  const what = typeof code === 'string' ? CONNECTION_FAILURES[code] : undefined;
  return what === undefined ? text : `${what} (${text})`;
}

/**
 * knex writes its warnings (each failed connection attempt, with its stack) to stdout with
 * console.log, between the JSON log lines; they go to the service's log instead, one line each.
 */
function logKnexThrough(db: Db, logger: Logger): Db {
  const line = (message: unknown): string => String(message).split('\n')[0]!;
  db.client.logger = {
    warn: (message: unknown) => logger.warn({ knex: line(message) }, 'database client warning'),
    error: (message: unknown) => logger.error({ knex: line(message) }, 'database client error'),
    debug: (message: unknown) => logger.debug({ knex: line(message) }, 'database client debug'),
    deprecate: (method: string, alternative: string) =>
      logger.warn({ knex: `${method} is deprecated, use ${alternative}` }, 'database client warning'),
  };
  return db;
}

/** The writer connection, opened and asked `select 1` at once, so that an unreachable database fails the start. */
async function openWriter(config: DatabaseConfig, logger: Logger): Promise<Db> {
  let db: Db;
  try {
    db = logKnexThrough(createDb(config), logger);
  } catch (error) {
    throw new DatabaseUnreachableError(connectionFailure(error), { cause: error });
  }
  try {
    await db.raw('select 1');
    return db;
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw new DatabaseUnreachableError(connectionFailure(error), { cause: error });
  }
}

export async function openGlanceShare(runtime: Runtime): Promise<OpenGlanceShare> {
  const { config, logger } = runtime;
  const db = await openWriter(config.database, logger);
  const readDb = logKnexThrough(createReadDb(config.database, db), logger);
  const closeDatabases = async (): Promise<void> => {
    await Promise.allSettled([db.destroy(), ...(readDb === db ? [] : [readDb.destroy()])]);
  };
  try {
    // On PostgreSQL migrations are an explicit step (`migrate`) unless migrateOnStart is set, so
    // that instances starting together do not race for knex's migration lock.
    if (config.migrateOnStart) await migrateLatest(db);
    const service = createApp({ ...runtime, db, readDb });
    await service.start();
    return {
      app: service.app,
      errorRenderer: service.errorRenderer,
      async close() {
        await service.stop();
        await closeDatabases();
      },
    };
  } catch (error) {
    await closeDatabases();
    throw error;
  }
}

/** `glance-share migrate`: brings the schema up to date and closes the connection. */
export async function migrateDatabase({ config, logger }: Pick<Runtime, 'config' | 'logger'>): Promise<void> {
  const db = await openWriter(config.database, logger);
  try {
    await migrateLatest(db);
    logger.info({ database: config.database.client }, 'database schema is up to date');
  } finally {
    await db.destroy();
  }
}
