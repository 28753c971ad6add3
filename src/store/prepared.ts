/**
 * Hot statements prepared once per pooled connection instead of on every request. Preparing is
 * most of what a small query costs: SQLite compiles the statement in the calling thread of its
 * driver (two extra thread-pool hops and the compilation, each time), and PostgreSQL parses and
 * plans it in the server. Measured on the member read (bench/README.md): about half of the
 * database cost of a request on either engine.
 *
 * - SQLite: a sqlite3 `Statement` cached per connection and run on a connection taken from knex's
 *   pool, so it never overlaps another query or a transaction on that connection. sqlite3 refuses
 *   to close a connection with live statements, so the cache finalizes them before it closes.
 * - PostgreSQL: a named prepared statement (pg keeps one per connection and name), run by the pg
 *   client of a connection taken from knex's pool (or the transaction's own), its placeholders
 *   converted by knex's own dialect: knex's per-query machinery (query events, response
 *   processing) was a measurable share of a member read.
 *
 * Only for statements outside transactions, whose SQL text never changes for a given name; the
 * SQL uses knex's `?` placeholders. PostgreSQL keeps a prepared statement's result columns: list
 * them explicitly (no `*`), so that adding a column to a table cannot break a running instance.
 */
import type { Knex } from 'knex';
import { isSqlite, type Db } from './db.ts';

export interface PreparedStatements {
  /** Runs the statement named `name` (whose text is always `sql`) and returns its rows. */
  rows<T>(name: string, sql: string, bindings: readonly Knex.Value[]): Promise<T[]>;
}

interface SqliteStatement {
  all(bindings: readonly unknown[], callback: (error: Error | null, rows: unknown[]) => void): void;
  finalize(callback: () => void): void;
}

interface SqliteConnection {
  prepare(sql: string, callback: (error: Error | null) => void): SqliteStatement;
  close(callback: (error: Error | null) => void): void;
}

interface KnexClientPool {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  /** PostgreSQL dialect: knex's `?` placeholders as `$1, $2, …`. */
  positionBindings?(sql: string): string;
}

const statementCaches = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();

/** The connection's statement cache; the first use makes `close` finalize the cached statements first. */
function statementCache(connection: SqliteConnection): Map<string, SqliteStatement> {
  const cache = statementCaches.get(connection);
  if (cache !== undefined) return cache;
  const statements = new Map<string, SqliteStatement>();
  statementCaches.set(connection, statements);
  const close = connection.close.bind(connection);
  connection.close = (callback) => {
    const live = [...statements.values()];
    statements.clear();
    let left = live.length;
    if (left === 0) {
      close(callback);
      return;
    }
    for (const statement of live) {
      statement.finalize(() => {
        left -= 1;
        if (left === 0) close(callback);
      });
    }
  };
  return statements;
}

/** The cached statement for `sql` on this connection, prepared on first use (a failed preparation is not cached). */
async function statementFor(connection: SqliteConnection, sql: string): Promise<SqliteStatement> {
  const cache = statementCache(connection);
  const cached = cache.get(sql);
  if (cached !== undefined) return cached;
  const statement = await new Promise<SqliteStatement>((resolve, reject) => {
    const prepared = connection.prepare(sql, (error) => (error ? reject(error) : resolve(prepared)));
  });
  cache.set(sql, statement);
  return statement;
}

interface PgClient {
  query<T>(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: T[] }>;
}

export function createPreparedStatements(db: Db): PreparedStatements {
  const client = db.client as unknown as KnexClientPool;
  if (!isSqlite(db)) {
    return {
      async rows<T>(name: string, sql: string, bindings: readonly Knex.Value[]) {
        const connection = (await client.acquireConnection()) as PgClient;
        try {
          return (await connection.query<T>({ name, text: client.positionBindings!(sql), values: bindings })).rows;
        } finally {
          await client.releaseConnection(connection);
        }
      },
    };
  }
  return {
    async rows<T>(_name: string, sql: string, bindings: readonly Knex.Value[]) {
      const connection = (await client.acquireConnection()) as SqliteConnection;
      try {
        const statement = await statementFor(connection, sql);
        return await new Promise<T[]>((resolve, reject) => {
          statement.all(bindings, (error, rows) => (error ? reject(error) : resolve(rows as T[])));
        });
      } finally {
        await client.releaseConnection(connection);
      }
    },
  };
}
