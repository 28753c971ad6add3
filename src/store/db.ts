/**
 * Builds the knex instance for the configured engine. SQLite gets WAL (readers never block the
 * writer), a busy timeout (writers queue instead of failing with SQLITE_BUSY) and foreign keys.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { DatabaseConfig } from '../config.ts';

export type Db = Knex;

export function createDb(config: DatabaseConfig): Db {
  if (config.client === 'pg') {
    return knexFactory({
      client: 'pg',
      // Fail fast while the server is down (answered 503) instead of queueing for a minute.
      connection: { connectionString: config.url ?? '', connectionTimeoutMillis: 5000 },
      acquireConnectionTimeout: 5000,
      pool: { min: config.pool?.min ?? 0, max: config.pool?.max ?? 10 },
    });
  }
  if (config.filename !== ':memory:') mkdirSync(dirname(config.filename), { recursive: true });
  return knexFactory({
    client: 'sqlite3',
    connection: { filename: config.filename },
    useNullAsDefault: true,
    // An in-memory database exists once per connection, so it must stay on one.
    pool: {
      min: 1,
      max: config.filename === ':memory:' ? 1 : (config.pool?.max ?? 1),
      afterCreate(connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) {
        connection.exec(
          'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;',
          (error) => done(error, connection),
        );
      },
    },
  });
}

interface SqliteConnection {
  exec(sql: string, callback: (error: Error | null) => void): void;
}

/** True when the database is SQLite (for the few statements that differ by engine). */
export function isSqlite(db: Db): boolean {
  return db.client.config.client === 'sqlite3';
}
