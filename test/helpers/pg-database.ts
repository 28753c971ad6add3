/** A throwaway PostgreSQL database, for the test suites and the benchmark. */
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';

/** Creates a uniquely named database (`<prefix>_<random>`) on the server at `serverUrl`; `drop()` removes it. */
export async function createPgDatabase(serverUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw('create database ??', [name]);
  await admin.destroy();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
      await again.raw('drop database if exists ?? with (force)', [name]);
      await again.destroy();
    },
  };
}
