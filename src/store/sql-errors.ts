/** Recognises a unique-key violation on SQLite (SQLITE_CONSTRAINT) and PostgreSQL (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === '23505') return true;
  return code === 'SQLITE_CONSTRAINT' && typeof message === 'string' && /UNIQUE|PRIMARY KEY/i.test(message);
}

/**
 * True when an error means the database cannot be reached right now (refused or dropped
 * connections, a server shutting down, no pooled connection within the acquire timeout), as
 * opposed to a bad query: such requests are answered 503 and the pool reconnects by itself.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message, name } = (error ?? {}) as { code?: unknown; message?: unknown; name?: unknown };
  if (typeof code === 'string') {
    // Connection refused/reset/unreachable, and PostgreSQL's connection-exception (08xxx),
    // operator-intervention (57P0x) and insufficient-resources (53xxx) classes.
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'SQLITE_CANTOPEN', 'SQLITE_IOERR'].includes(code))
      return true;
    if (/^(08|57P0|53)/.test(code)) return true;
  }
  if (name === 'KnexTimeoutError') return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|Client has encountered a connection error|terminating connection|the database system is (starting up|shutting down)/i.test(
      message,
    )
  );
}
