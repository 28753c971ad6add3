/**
 * The service as a process: the migrate command, graceful shutdown on SIGTERM, and (on
 * PostgreSQL) a database outage under a running instance: 503s, then recovery by itself.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import supertest from 'supertest';
import { migrateRollbackAll } from '../../src/store/migrate.ts';
import { buildApp, engine, projectRoot, type TestApp } from '../helpers/build-app.ts';
import { OWNER, makeImage, messageOf } from '../helpers/fixtures.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const run = promisify(execFile);

describe('lifecycle', () => {
  let t: TestApp;
  let server: ServerProcess;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' } });
    server = await startServer(t.sharedConfig(), join(t.dataDir, 'config.json'));
  });
  after(async () => {
    await server.stop();
    await t.close();
  });

  it('`glance-share migrate` brings an empty database up to date and exits 0', async () => {
    const fresh = await buildApp({});
    try {
      // Every migration down (which also proves the down steps), then the command brings it back.
      await migrateRollbackAll(fresh.db);
      assert.equal(await fresh.db.schema.hasTable('image_members'), false);
      const configPath = join(fresh.dataDir, 'migrate.json');
      writeFileSync(configPath, JSON.stringify(fresh.sharedConfig({ logLevel: 'silent' })));
      await run(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'server.ts'), 'migrate', '--config', configPath], {
        cwd: projectRoot,
      });
      assert.equal(await fresh.db.schema.hasTable('image_members'), true);
    } finally {
      await fresh.close();
    }
  });

  it('SIGTERM: the upload in flight finishes, then the process exits 0', async () => {
    const own = await startServer(t.sharedConfig(), join(t.dataDir, 'config-sigterm.json'));
    const image = await makeImage(t);
    const url = new URL(`/v2/images/${image.id}/file`, own.url);
    const answered = new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        url,
        { method: 'PUT', headers: { ...OWNER, 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(64 * 1024, 1));
      setTimeout(() => {
        own.child.kill('SIGTERM');
        setTimeout(() => req.end(Buffer.alloc(64 * 1024, 2)), 300);
      }, 200);
    });
    assert.equal(await answered, 204);
    const code = await new Promise<number | null>((resolve) => {
      if (own.child.exitCode !== null) resolve(own.child.exitCode);
      else own.child.once('exit', (exitCode) => resolve(exitCode));
    });
    assert.equal(code, 0);
    const stored = await supertest(server.url).get(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(stored.body.status, 'active');
    assert.equal(stored.body.size, 128 * 1024);
  });

  it('GET /healthcheck answers 200 while the database answers', async () => {
    const res = await supertest(server.url).get('/healthcheck');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'OK');
  });

  it(
    'a PostgreSQL outage gives 503s, and the service recovers by itself',
    { skip: engine !== 'pg' && 'runs on PostgreSQL (scripts/with-postgres.sh npm test)' },
    async () => {
      const pgCtl = (...args: string[]) =>
        execFileSync(
          'runuser',
          ['-u', 'postgres', '--', join(process.env['TEST_PG_BIN']!, 'pg_ctl'), '-D', process.env['TEST_PG_DATA']!, ...args],
          { stdio: 'ignore' },
        );
      const image = await makeImage(t);
      const agent = supertest(server.url);
      await agent.get(`/v2/images/${image.id}`).set(OWNER).expect(200);
      pgCtl('-m', 'fast', '-w', 'stop');
      try {
        const health = await agent.get('/healthcheck');
        assert.equal(health.status, 503);
        const started = Date.now();
        const during = await agent.get(`/v2/images/${image.id}/members`).set(OWNER);
        assert.equal(during.status, 503);
        assert.equal(messageOf(during.body), 'The database is unavailable; try again later.');
        assert.ok(Date.now() - started < 15_000, 'answered promptly, not after a hang');
      } finally {
        pgCtl('-w', '-l', join(process.env['TEST_PG_DATA']!, '..', 'server.log'), '-o', process.env['TEST_PG_OPTIONS']!, 'start');
      }
      let recovered = 0;
      for (let attempt = 0; attempt < 50 && recovered !== 200; attempt += 1) {
        recovered = (await agent.get(`/v2/images/${image.id}/members`).set(OWNER)).status;
        if (recovered !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(recovered, 200);
      assert.equal((await agent.get('/healthcheck')).status, 200);
    },
  );
});
