/**
 * Uploads a crash interrupted (images/services/upload-recovery.ts, recoverInterruptedUploads): an image left in
 * `saving` goes back to `queued` once its upload lease has run out, and temporary files go, but an
 * upload that a live instance is still streaming keeps its image and its file, however long it
 * takes. In process for the rules, then with real processes sharing one database and store
 * directory (SQLite in `npm test`, PostgreSQL in `npm run test:pg`).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { recoverInterruptedUploads } from '../../src/images/services/upload-recovery.ts';
import { createImageFileStore } from '../../src/images/store/image-files.ts';
import { createImageStore } from '../../src/images/store/image-store.ts';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { OWNER, makeImage } from '../helpers/fixtures.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const OCTETS = 'application/octet-stream';
const LONG_AGO = '2020-01-01T00:00:00.000Z';
const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');

const temporaryName = (imageId: string): string => `.${imageId}.${randomUUID()}.part`;
const temporaries = (t: TestApp): string[] =>
  existsSync(t.config.images.storeDir) ? readdirSync(t.config.images.storeDir).filter((name) => name.endsWith('.part')) : [];

/** A chunked upload the test feeds by hand; `done` is the answer's status. */
function openUpload(url: string, imageId: string): { req: ClientRequest; done: Promise<number> } {
  let req!: ClientRequest;
  const done = new Promise<number>((resolve, reject) => {
    req = httpRequest(
      new URL(`/v2/images/${imageId}/file`, url),
      {
        method: 'PUT',
        headers: { ...OWNER, 'Content-Type': OCTETS, 'Transfer-Encoding': 'chunked' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
  });
  return { req, done };
}

async function statusOf(t: TestApp, imageId: string): Promise<string | undefined> {
  return (await t.db('images').where({ id: imageId }).first())?.status;
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('interrupted uploads: the rules', () => {
  let t: TestApp;
  let server: Server;
  const TIMEOUT = 1;
  const recover = () =>
    recoverInterruptedUploads({
      store: createImageStore(t.db),
      files: createImageFileStore(t.config.images.storeDir),
      clock: t.clock,
      savingTimeoutSeconds: TIMEOUT,
    });
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, images: { savingTimeoutSeconds: TIMEOUT } });
    server = t.app.listen(0, '127.0.0.1');
    mkdirSync(t.config.images.storeDir, { recursive: true });
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await t.close();
  });

  it('an image in saving past the timeout goes back to queued, and temporary files without a live upload go', async () => {
    const stale = await makeImage(t, { status: 'saving', updatedAt: LONG_AGO });
    const queued = await makeImage(t);
    const active = await makeImage(t, { status: 'active' });
    const dir = t.config.images.storeDir;
    for (const name of [temporaryName(stale.id), temporaryName(queued.id), temporaryName(randomUUID()), active.id])
      writeFileSync(join(dir, name), 'x');

    const { reset, removedFiles } = await recover();
    assert.deepEqual(reset, [stale.id]);
    assert.equal(removedFiles, 3);
    assert.deepEqual(temporaries(t), []);
    assert.ok(existsSync(join(dir, active.id)), 'finished image files are not touched');
    const shown = await t.request.get(`/v2/images/${stale.id}`).set(OWNER);
    assert.equal(shown.body.status, 'queued');
    assert.equal(
      shown.body.updated_at,
      t.clock
        .now()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z'),
    );
    // And it takes an upload again.
    assert.equal((await t.request.put(`/v2/images/${stale.id}/file`).set(OWNER).set('Content-Type', OCTETS).send('again')).status, 204);
  });

  it('an image in saving within the timeout (another instance is uploading) keeps its status and its file', async () => {
    const live = await makeImage(t, { status: 'saving', updatedAt: new Date(t.clock.now().getTime() - 500).toISOString() });
    const name = temporaryName(live.id);
    writeFileSync(join(t.config.images.storeDir, name), 'x');
    const { reset, removedFiles } = await recover();
    assert.deepEqual(reset, []);
    assert.equal(removedFiles, 0);
    assert.equal(await statusOf(t, live.id), 'saving');
    assert.deepEqual(temporaries(t), [name]);
    // Once its lease runs out, it is taken for interrupted.
    t.clock.advance(TIMEOUT);
    assert.deepEqual((await recover()).reset, [live.id]);
    assert.deepEqual(temporaries(t), []);
  });

  it('an upload that streams for longer than the timeout renews its lease and is never reset', async () => {
    const image = await makeImage(t);
    const { req, done } = openUpload(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, image.id);
    const chunks = [randomBytes(1000), randomBytes(1000), randomBytes(1000)];
    try {
      req.write(chunks[0]);
      await waitFor('saving', async () => (await statusOf(t, image.id)) === 'saving');
      for (const chunk of chunks.slice(1)) {
        // Time passes (three timeouts); the lease, renewed every quarter timeout, keeps up with it.
        t.clock.advance(3 * TIMEOUT);
        await sleep(400);
        assert.deepEqual((await recover()).reset, []);
        assert.equal(temporaries(t).length, 1, 'the upload keeps its temporary file');
        req.write(chunk);
      }
      req.end();
      assert.equal(await done, 204);
    } finally {
      if (!req.writableEnded) req.destroy();
    }
    const shown = await t.request.get(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(shown.body.status, 'active');
    assert.equal(shown.body.checksum, md5(Buffer.concat(chunks)));
  });
});

describe('interrupted uploads: several processes on one database and store directory', () => {
  let t: TestApp;
  const servers: ServerProcess[] = [];
  const start = async (): Promise<ServerProcess> => {
    const server = await startServer(t.sharedConfig(), join(t.dataDir, `config-${servers.length}.json`));
    servers.push(server);
    return server;
  };
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, images: { savingTimeoutSeconds: 1 } });
  });
  after(async () => {
    for (const server of servers) await server.stop();
    await t.close();
  });

  it('at start: leftovers of a crash are recovered before the first request', async () => {
    const stale = await makeImage(t, { status: 'saving', updatedAt: LONG_AGO });
    const queued = await makeImage(t);
    mkdirSync(t.config.images.storeDir, { recursive: true });
    writeFileSync(join(t.config.images.storeDir, temporaryName(stale.id)), 'x');
    writeFileSync(join(t.config.images.storeDir, temporaryName(queued.id)), 'x');
    await start();
    assert.equal(await statusOf(t, stale.id), 'queued');
    assert.deepEqual(temporaries(t), []);
  });

  it('an upload streaming on one instance survives another instance starting and sweeping meanwhile', async () => {
    const [a] = servers.length > 0 ? servers : [await start()];
    const image = await makeImage(t);
    const { req, done } = openUpload(a!.url, image.id);
    const chunks = Array.from({ length: 8 }, () => randomBytes(4096));
    try {
      req.write(chunks[0]);
      await waitFor('saving', async () => (await statusOf(t, image.id)) === 'saving');
      // About three seconds in all, three timeouts: B starts (and sweeps) and then sweeps every half second.
      const b = start();
      for (const chunk of chunks.slice(1)) {
        await sleep(400);
        req.write(chunk);
      }
      await b;
      req.end();
      assert.equal(await done, 204);
    } finally {
      if (!req.writableEnded) req.destroy();
    }
    const row = await t.db('images').where({ id: image.id }).first();
    assert.equal(row.status, 'active');
    assert.equal(row.checksum, md5(Buffer.concat(chunks)));
    assert.deepEqual(temporaries(t), []);
  });

  it('an upload whose instance is killed goes back to queued on the instance still running, and can be redone there', async () => {
    const killed = await start();
    const survivor = servers[0]!;
    const image = await makeImage(t);
    const { req, done } = openUpload(killed.url, image.id);
    done.catch(() => undefined);
    req.write(randomBytes(4096));
    await waitFor('saving', async () => (await statusOf(t, image.id)) === 'saving');
    await waitFor('the temporary file', async () => temporaries(t).length === 1);
    const exited = new Promise((resolve) => killed.child.once('exit', resolve));
    killed.child.kill('SIGKILL');
    await exited;
    // Lease 1 s, sweep every 0.5 s.
    await waitFor('queued', async () => (await statusOf(t, image.id)) === 'queued', 5_000);
    await waitFor('no temporary file', async () => temporaries(t).length === 0, 2_000);
    const again = await fetch(`${survivor.url}/v2/images/${image.id}/file`, {
      method: 'PUT',
      headers: { ...OWNER, 'Content-Type': OCTETS },
      body: 'redone',
    });
    assert.equal(again.status, 204);
    assert.equal(await statusOf(t, image.id), 'active');
  });
});
