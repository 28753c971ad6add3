/**
 * glance-share as a running whole, for server.ts: open the databases (and migrate them where the
 * configuration says so), build the app over them (app.ts), start its background work; and close
 * all of it again in the reverse order. Also the `migrate` command's one step.
 */
import type { Logger } from 'pino';
import type { Clock } from './base/clock.ts';
import type { Config } from './base/config.ts';
import type { Validator } from './base/validation.ts';
import { createApp, type GlanceShare } from './app.ts';
import { createDb, createReadDb } from './store/db.ts';
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

export async function openGlanceShare(runtime: Runtime): Promise<OpenGlanceShare> {
  const { config } = runtime;
  const db = createDb(config.database);
  const readDb = createReadDb(config.database, db);
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
  const db = createDb(config.database);
  try {
    await migrateLatest(db);
    logger.info({ database: config.database.client }, 'database schema is up to date');
  } finally {
    await db.destroy();
  }
}
