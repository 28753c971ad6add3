/**
 * Builds the knex instance for the configured engine. SQLite gets WAL (readers never block the
 * writer), a busy timeout (writers queue instead of failing with SQLITE_BUSY) and foreign keys.
 *
 * Durability: an answered write must survive a power loss, not only a crash of the process. In
 * WAL mode `synchronous = NORMAL` already survives a crash (SIGKILL: committed pages are in the
 * WAL file, the kernel writes them out) but fsyncs only at checkpoints, so a power loss can take
 * the last acknowledged transactions with it. `FULL` fsyncs the WAL at every commit, before the
 * answer; reads cost nothing extra. PostgreSQL's defaults (fsync on, synchronous_commit on) give
 * the same guarantee and are left alone.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { DatabaseConfig } from '../base/config.ts';

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
  // An in-memory database exists once per connection, so it must stay on one.
  return sqliteKnex(
    config.filename,
    {
      min: 1,
      max: config.filename === ':memory:' ? 1 : (config.pool?.max ?? 1),
    },
    'PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;',
  );
}

/** A knex instance on the SQLite file whose pooled connections each run `pragmas` when opened. */
function sqliteKnex(filename: string, pool: { min: number; max: number }, pragmas: string): Db {
  return knexFactory({
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      ...pool,
      afterCreate(connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) {
        connection.exec(pragmas, (error) => done(error, connection));
      },
    },
  });
}

/**
 * The connections reads run on. SQLite: a pool of read-only connections on the same file. In WAL
 * mode readers run beside each other and beside the writer, each statement on its own thread of
 * libuv's pool while the event loop goes on, and every write still queues for the one writer
 * connection (in knex's pool, not in SQLite's sleeping busy handler). A read sees every
 * transaction committed before it starts, so a write that was answered is seen by any later read,
 * on any connection or instance. PostgreSQL (one pool serves both), an in-memory database (which
 * exists only on its one connection) and `readers: 0`: the writer itself.
 */
export function createReadDb(config: DatabaseConfig, writer: Db): Db {
  if (config.client === 'pg' || config.filename === ':memory:' || config.readers === 0) return writer;
  // Opened on first use, after the writer has created the file and set WAL mode (persistent).
  return sqliteKnex(config.filename, { min: 0, max: config.readers }, 'PRAGMA busy_timeout = 10000; PRAGMA query_only = ON;');
}

interface SqliteConnection {
  exec(sql: string, callback: (error: Error | null) => void): void;
}

/** True when the database is SQLite (for the few statements that differ by engine). */
export function isSqlite(db: Db): boolean {
  return db.client.config.client === 'sqlite3';
}
