/**
 * Secrets out of what the commands print and log: the password of a database URL, and every
 * password-like value of the configuration (auth.keystone.password, auth.users[].passwordHash).
 */
import type { Config, DatabaseConfig } from '../base/config.ts';

export const MASK = '***';

/** Keys whose string values are secrets wherever they appear in the configuration. */
const SECRET_KEY = /password|secret/i;

/** `postgres://user:pw@host/db?password=pw` → `postgres://user:***@host/db?password=***`; not a URL: all of it. */
export function maskUrlPassword(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return MASK;
  }
  if (parsed.password !== '') parsed.password = MASK;
  // In place, so that the other parameters keep their spelling.
  parsed.search = parsed.search.replace(/([?&][^=&]*(?:password|secret)[^=&]*=)[^&]*/gi, `$1${MASK}`);
  return parsed.toString();
}

/** The database as an operator names it: its SQLite file, or its PostgreSQL URL without the password. */
export function describeDatabase(database: Readonly<DatabaseConfig>): string {
  return database.client === 'pg'
    ? `the PostgreSQL database ${maskUrlPassword(database.url ?? '')}`
    : `the SQLite database ${database.filename}`;
}

/** A copy of the configuration for printing: secrets replaced by "***", the database URL without its password. */
export function maskedConfig(config: Readonly<Config>): unknown {
  const masked = maskSecrets(config) as { database: { url?: string } };
  if (typeof masked.database.url === 'string') masked.database.url = maskUrlPassword(masked.database.url);
  return masked;
}

function maskSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return SECRET_KEY.test(key) ? MASK : value;
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, maskSecrets(inner, name)]));
  }
  return value;
}
