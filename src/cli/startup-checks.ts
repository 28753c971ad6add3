/**
 * What must hold before the service serves, each failure one line that names what to change:
 * the directories it writes are writable, the database answers, the listen address is free.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../base/config.ts';
import { DatabaseUnreachableError } from '../compose.ts';
import { OperatorError, fsReason } from './operator-error.ts';
import { describeDatabase } from './secrets.ts';

interface WrittenDirectory {
  what: string;
  path: string;
  /** Where the configuration sets it. */
  setting: string;
}

/** The directories the service writes: the SQLite file's (the data directory, by default) and the image store. */
function writtenDirectories(config: Readonly<Config>, withImages: boolean): WrittenDirectory[] {
  const found: WrittenDirectory[] = [];
  const { database } = config;
  if (database.client === 'sqlite3' && database.filename !== ':memory:') {
    const path = dirname(database.filename);
    found.push(
      path === config.dataDir
        ? { what: 'data directory', path, setting: '"dataDir"' }
        : { what: 'SQLite database directory', path, setting: '"database.filename"' },
    );
  }
  if (withImages) found.push({ what: 'image store', path: config.images.storeDir, setting: '"images.storeDir" (or "dataDir")' });
  return found;
}

/** Creates each directory the service writes when it is missing, and checks it may write there. */
export function ensureWritableDirectories(config: Readonly<Config>, { withImages }: { withImages: boolean }): void {
  for (const { what, path, setting } of writtenDirectories(config, withImages)) {
    const refuse = (problem: string, error: unknown): OperatorError =>
      new OperatorError([
        `glance-share: the ${what} ${path} ${problem} (${fsReason(error)}); fix it, or choose another with ${setting} in the configuration`,
      ]);
    try {
      mkdirSync(path, { recursive: true });
    } catch (error) {
      throw refuse('cannot be created', error);
    }
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      throw refuse('is not writable', error);
    }
  }
}

/** A database that does not answer at start, as one line naming it (its URL without the password). */
export function databaseFailure(error: unknown, config: Readonly<Config>): unknown {
  if (!(error instanceof DatabaseUnreachableError)) return error;
  const verb = config.database.client === 'pg' ? 'cannot connect to' : 'cannot open';
  return new OperatorError([`glance-share: ${verb} ${describeDatabase(config.database)}: ${error.reason}`], { cause: error });
}

/** `host:port` as an operator types it (IPv6 in brackets). */
export const hostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use (EADDRINUSE): free it, or choose another port with PORT= or "port" in the configuration',
  EACCES:
    'permission denied (EACCES): ports below 1024 need privileges; choose another port with PORT= or "port" in the configuration, or grant the privilege (CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'no such address on this machine (EADDRNOTAVAIL): choose another with HOST= or "host" in the configuration',
  ENOTFOUND: 'the host name does not resolve (ENOTFOUND): choose another with HOST= or "host" in the configuration',
};

/** Why the HTTP server could not listen, as one line; other errors pass through. */
export function listenFailure(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : LISTEN_FAILURES[code];
  if (reason === undefined) return error;
  return new OperatorError([`glance-share: cannot listen on ${hostPort(host, port)}: ${reason}`], { cause: error });
}
