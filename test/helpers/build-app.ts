/**
 * A fresh app per test file: a real SQLite file in a temporary directory, migrated, behind the real
 * app factory. Config overrides go through the same loader and schema as production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import supertest from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/app.ts';
import type { Clock } from '../../src/clock.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createDb, type Db } from '../../src/store/db.ts';
import { migrateLatest } from '../../src/store/migrate.ts';
import { createValidator, type Validator } from '../../src/validation.ts';

export const projectRoot = join(import.meta.dirname, '..', '..');

let sharedValidator: Validator | undefined;
export function validator(): Validator {
  sharedValidator ??= createValidator(join(projectRoot, 'schemas'));
  return sharedValidator;
}

/** A clock tests can move: starts at a fixed second and advances only when told. */
export class TestClock implements Clock {
  private current: number;
  constructor(start = Date.parse('2026-11-23T02:08:11.000Z')) { this.current = start; }
  now(): Date { return new Date(this.current); }
  advance(seconds: number): void { this.current += seconds * 1000; }
}

export interface TestApp {
  app: Express;
  request: ReturnType<typeof supertest>;
  db: Db;
  clock: TestClock;
  config: Readonly<Config>;
  dataDir: string;
  close(): Promise<void>;
}

export async function buildApp(overrides: Record<string, unknown> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'glance-share-test-'));
  const config = loadConfig({
    file: { dataDir, logLevel: 'silent', ...overrides },
    baseDir: dataDir,
    env: {},
    check: (data) => validator().check('config.json', data),
  });
  const db = createDb(config.database);
  await migrateLatest(db);
  const clock = new TestClock();
  const app = createApp({ config, db, logger: pino({ level: 'silent' }), clock, validator: validator() });
  return {
    app,
    request: supertest(app),
    db,
    clock,
    config,
    dataDir,
    async close() {
      await db.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
