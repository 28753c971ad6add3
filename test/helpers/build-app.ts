/**
 * A fresh app per test file: a real SQLite file in a temporary directory or, when TEST_PG_URL is
 * set, a freshly created PostgreSQL database; migrated, behind the real app factory. Config
 * overrides go through the same loader and schema as production. One suite, two engines:
 * `npm test` runs on SQLite, `scripts/with-postgres.sh npm test` on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import supertest from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/app.ts';
import type { Clock } from '../../src/base/clock.ts';
import { loadConfig, type Config } from '../../src/base/config.ts';
import { createDb, createReadDb, type Db } from '../../src/store/db.ts';
import { migrateLatest } from '../../src/store/migrate.ts';
import { createPgDatabase } from './pg-database.ts';
import { createValidator, type Validator } from '../../src/base/validation.ts';

export const projectRoot = join(import.meta.dirname, '..', '..');

let sharedValidator: Validator | undefined;
export function validator(): Validator {
  sharedValidator ??= createValidator(join(projectRoot, 'schemas'));
  return sharedValidator;
}

/** A clock tests can move: starts at a fixed second and advances only when told. */
export class TestClock implements Clock {
  private current: number;
  constructor(start = Date.parse('2026-11-23T02:08:11.000Z')) {
    this.current = start;
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}

/** The engine the suites run on: PostgreSQL when TEST_PG_URL names a server, else SQLite. */
export const engine: 'sqlite3' | 'pg' = process.env['TEST_PG_URL'] ? 'pg' : 'sqlite3';

interface TestDatabase {
  /** The `database` block of the configuration. */
  config: Record<string, unknown>;
  drop(): Promise<void>;
}

/** A uniquely named PostgreSQL database on the TEST_PG_URL server, dropped afterwards. */
async function createTestPgDatabase(): Promise<TestDatabase> {
  const { url, drop } = await createPgDatabase(process.env['TEST_PG_URL']!, 'gs_test');
  return { config: { client: 'pg', url }, drop };
}

export interface TestApp {
  app: Express;
  request: ReturnType<typeof supertest>;
  db: Db;
  clock: TestClock;
  config: Readonly<Config>;
  dataDir: string;
  /** Starts the service's background work (upload and batch job recovery), as compose.ts does. */
  start(): Promise<void>;
  /** Configuration for a server process sharing this test's database and data directory. */
  sharedConfig(extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/** `logger`: where the app logs (e.g. `createLogger` over a capturing destination); silent by default. */
export async function buildApp(overrides: Record<string, unknown> = {}, options: { logger?: Logger } = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'glance-share-test-'));
  const database: TestDatabase =
    engine === 'pg' ? await createTestPgDatabase() : { config: { filename: join(dataDir, 'glance-share.sqlite') }, drop: async () => {} };
  const config = loadConfig({
    file: { dataDir, logLevel: 'silent', database: database.config, ...overrides },
    baseDir: dataDir,
    env: {},
    check: (data) => validator().check('config.json', data),
  });
  const db = createDb(config.database);
  await migrateLatest(db);
  const clock = new TestClock();
  const readDb = createReadDb(config.database, db);
  const service = createApp({ config, db, readDb, logger: options.logger ?? pino({ level: 'silent' }), clock, validator: validator() });
  const { app } = service;
  return {
    app,
    request: supertest(app),
    db,
    clock,
    config,
    dataDir,
    start: () => service.start(),
    sharedConfig: (extra = {}) => ({ ...overrides, dataDir, database: database.config, migrateOnStart: false, ...extra }),
    async close() {
      await service.stop();
      if (readDb !== db) await readDb.destroy();
      await db.destroy();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
