/**
 * `PUT` and `GET /v2/images/{id}/file`: streamed uploads with md5/sha512, chunked bodies, the size
 * cap, failures that must put the image back to queued, and downloads (texts compared with Glance 25.1).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Image, MemberStatus } from '../../src/base/domain.ts';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { MEMBER, OTHER, OWNER, as, makeImage, messageOf } from '../helpers/fixtures.ts';

const OCTETS = 'application/octet-stream';
const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
const sha512 = (data: Buffer): string => createHash('sha512').update(data).digest('hex');

async function addMemberRow(t: TestApp, image: Image, memberId: string, status: MemberStatus): Promise<void> {
  const at = t.clock.now().toISOString();
  await t
    .db('image_members')
    .insert({ image_id: image.id, member_id: memberId, status, created_at: at, updated_at: at, deleted: false, seq: 1 });
}

interface RawResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A chunked PUT (no Content-Length), as Tempest, gophercloud and OSC send files. */
function putChunked(server: Server, path: string, chunks: Buffer[], headers: Record<string, string> = OWNER): Promise<RawResponse> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { port, path, method: 'PUT', headers: { ...headers, 'Content-Type': OCTETS, 'Transfer-Encoding': 'chunked' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const fileNames = (t: TestApp): string[] => {
  try {
    return readdirSync(t.config.images.storeDir);
  } catch {
    return [];
  }
};

describe('image data', () => {
  let t: TestApp;
  let server: Server;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, policy: { mode: 'legacy' }, images: { maxUploadBytes: 1024 * 1024 * 8 } });
    server = t.app.listen(0, '127.0.0.1');
  });
  after(async () => {
    server.close();
    await t.close();
  });

  const status = async (id: string): Promise<string> => (await t.request.get(`/v2/images/${id}`).set(OWNER)).body.status as string;

  it('uploads (204, empty) and sets size, md5 checksum, sha512 hash and status active; downloads it back', async () => {
    const image = await makeImage(t);
    const data = Buffer.from('hello world');
    const put = await t.request.put(`/v2/images/${image.id}/file`).set(OWNER).set('Content-Type', OCTETS).send(data);
    assert.equal(put.status, 204);
    assert.equal(put.text, '');
    const shown = await t.request.get(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(shown.body.status, 'active');
    assert.equal(shown.body.size, 11);
    assert.equal(shown.body.virtual_size, 11);
    assert.equal(shown.body.checksum, '5eb63bbbe01eeed093cb22bb8f5acdc3');
    assert.equal(shown.body.checksum, md5(data));
    assert.equal(shown.body.os_hash_algo, 'sha512');
    assert.equal(shown.body.os_hash_value, sha512(data));

    const got = await t.request
      .get(`/v2/images/${image.id}/file`)
      .set(OWNER)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-type'], OCTETS);
    assert.equal(got.headers['content-md5'], md5(data));
    assert.equal(got.headers['content-length'], '11');
    assert.deepEqual(got.body, data);
  });

  it('streams a chunked upload of several megabytes and keeps the hashes exact', async () => {
    const image = await makeImage(t);
    const chunks = Array.from({ length: 40 }, () => randomBytes(128 * 1024 + 7));
    const data = Buffer.concat(chunks);
    const res = await putChunked(server, `/v2/images/${image.id}/file`, chunks);
    assert.equal(res.status, 204);
    assert.equal(res.body, '');
    const shown = await t.request.get(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(shown.body.size, data.length);
    assert.equal(shown.body.checksum, md5(data));
    assert.equal(shown.body.os_hash_value, sha512(data));
    const got = await t.request
      .get(`/v2/images/${image.id}/file`)
      .set(OWNER)
      .buffer(true)
      .parse((r, done) => {
        const parts: Buffer[] = [];
        r.on('data', (chunk: Buffer) => parts.push(chunk));
        r.on('end', () => done(null, Buffer.concat(parts)));
      });
    assert.equal(sha512(got.body as Buffer), sha512(data));
    assert.deepEqual(
      fileNames(t).filter((name) => name.endsWith('.part')),
      [],
    );
  });

  it('reads the virtual size of a qcow2 image from its header', async () => {
    const image = await makeImage(t, { diskFormat: 'qcow2' });
    const header = Buffer.alloc(512);
    header.writeUInt32BE(0x514649fb, 0);
    header.writeUInt32BE(3, 4);
    header.writeBigUInt64BE(10n * 1024n ** 3n, 24);
    assert.equal((await t.request.put(`/v2/images/${image.id}/file`).set(OWNER).set('Content-Type', OCTETS).send(header)).status, 204);
    const shown = await t.request.get(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(shown.body.virtual_size, 10 * 1024 ** 3);
    assert.equal(shown.body.size, 512);
  });

  it('refuses a second upload (409) and an upload before both formats are set (400)', async () => {
    const image = await makeImage(t);
    assert.equal((await t.request.put(`/v2/images/${image.id}/file`).set(OWNER).set('Content-Type', OCTETS).send('x')).status, 204);
    const again = await t.request.put(`/v2/images/${image.id}/file`).set(OWNER).set('Content-Type', OCTETS).send('y');
    assert.equal(again.status, 409);
    assert.equal(messageOf(again.body), 'Image status transition from active to saving is not allowed');
    const bare = await makeImage(t, { diskFormat: null, containerFormat: null });
    let res = await t.request.put(`/v2/images/${bare.id}/file`).set(OWNER).set('Content-Type', OCTETS).send('x');
    assert.equal(res.status, 400);
    assert.equal(messageOf(res.body), 'Properties disk_format, container_format must be set prior to saving data.');
    const half = await makeImage(t, { containerFormat: null });
    res = await t.request.put(`/v2/images/${half.id}/file`).set(OWNER).set('Content-Type', OCTETS).send('x');
    assert.equal(messageOf(res.body), 'Property container_format must be set prior to saving data.');
    assert.equal(await status(bare.id), 'queued');
  });

  it('accepts only application/octet-stream (415 otherwise)', async () => {
    const image = await makeImage(t);
    for (const type of ['text/plain', 'application/json']) {
      const res = await t.request.put(`/v2/images/${image.id}/file`).set(OWNER).set('Content-Type', type).send('x');
      assert.equal(res.status, 415);
      assert.equal(messageOf(res.body), `The request media type ${type} is not supported by this server.`);
    }
    const withCharset = await t.request
      .put(`/v2/images/${image.id}/file`)
      .set(OWNER)
      .set('Content-Type', `${OCTETS}; charset=binary`)
      .send(Buffer.from('x'));
    assert.equal(withCharset.status, 204);
  });

  it('only the owner may upload; members and everyone who can see the image may download', async () => {
    const image = await makeImage(t);
    await addMemberRow(t, image, 'p-member', 'pending');
    let res = await t.request.put(`/v2/images/${image.id}/file`).set(MEMBER).set('Content-Type', OCTETS).send('x');
    assert.equal(res.status, 403);
    assert.equal(messageOf(res.body), `Not allowed to upload image data for image ${image.id}`);
    res = await t.request.put(`/v2/images/${image.id}/file`).set(OTHER).set('Content-Type', OCTETS).send('x');
    assert.equal(res.status, 404);
    assert.equal(messageOf(res.body), `No image found with ID ${image.id}`);
    assert.equal((await t.request.put(`/v2/images/${image.id}/file`).set(OWNER).set('Content-Type', OCTETS).send('data')).status, 204);
    res = await t.request.get(`/v2/images/${image.id}/file`).set(MEMBER);
    assert.equal(res.status, 200);
    res = await t.request.get(`/v2/images/${image.id}/file`).set(OTHER);
    assert.equal(res.status, 404);
    assert.equal(messageOf(res.body), `No image found with ID ${image.id}`);
  });

  it('answers 204 without a body when the image has no data', async () => {
    const image = await makeImage(t);
    const res = await t.request.get(`/v2/images/${image.id}/file`).set(OWNER);
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
  });

  it('405 for other methods on /file, and 404 for an unknown image', async () => {
    const image = await makeImage(t);
    const post = await t.request.post(`/v2/images/${image.id}/file`).set(OWNER);
    assert.equal(post.status, 405);
    assert.equal(post.headers['allow'], 'GET, PUT');
    assert.equal((await t.request.head(`/v2/images/${image.id}/file`).set(OWNER)).status, 405);
    const missing = await t.request.get('/v2/images/nope/file').set(OWNER);
    assert.equal(missing.status, 404);
    assert.equal(messageOf(missing.body), 'No image found with ID nope');
  });

  it('a client that disconnects mid-upload leaves the image queued and no temporary file', async () => {
    const image = await makeImage(t);
    const { port } = server.address() as AddressInfo;
    const req = httpRequest({
      port,
      path: `/v2/images/${image.id}/file`,
      method: 'PUT',
      headers: { ...OWNER, 'Content-Type': OCTETS, 'Transfer-Encoding': 'chunked' },
    });
    req.on('error', () => undefined);
    req.write(randomBytes(64 * 1024));
    for (let i = 0; i < 100 && (await status(image.id)) !== 'saving'; i++) await sleep(10);
    assert.equal(await status(image.id), 'saving');
    req.destroy();
    for (let i = 0; i < 100 && (await status(image.id)) !== 'queued'; i++) await sleep(10);
    assert.equal(await status(image.id), 'queued');
    assert.deepEqual(
      fileNames(t).filter((name) => name.includes(image.id)),
      [],
    );
    // And it can be uploaded again.
    assert.equal((await t.request.put(`/v2/images/${image.id}/file`).set(OWNER).set('Content-Type', OCTETS).send('ok')).status, 204);
  });

  it('deleting an image removes its file', async () => {
    const image = await makeImage(t);
    assert.equal((await t.request.put(`/v2/images/${image.id}/file`).set(OWNER).set('Content-Type', OCTETS).send('bytes')).status, 204);
    assert.ok(fileNames(t).includes(image.id));
    assert.equal((await t.request.delete(`/v2/images/${image.id}`).set(OWNER)).status, 204);
    assert.ok(!fileNames(t).includes(image.id));
  });

  it('new-defaults mode: a reader-only member of the image cannot download', async () => {
    const strict = await buildApp({ auth: { mode: 'trusted-headers' } });
    try {
      const image = await makeImage(strict, { status: 'active' });
      await addMemberRow(strict, image, 'p-member', 'accepted');
      const res = await strict.request.get(`/v2/images/${image.id}/file`).set(as('p-member', 'reader'));
      assert.equal(res.status, 403);
      assert.equal(messageOf(res.body), 'You are not authorized to complete download_image action.');
      const upload = await strict.request
        .put(`/v2/images/${image.id}/file`)
        .set(as('p-owner', 'reader'))
        .set('Content-Type', OCTETS)
        .send('x');
      assert.equal(upload.status, 403);
      assert.equal(messageOf(upload.body), 'You are not authorized to complete upload_image action.');
    } finally {
      await strict.close();
    }
  });
});

describe('image data: the size cap', () => {
  let t: TestApp;
  let server: Server;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, images: { maxUploadBytes: 1000 } });
    server = t.app.listen(0, '127.0.0.1');
  });
  after(async () => {
    server.close();
    await t.close();
  });

  const TOO_LARGE = 'The incoming image is too large: The provided image is too large.';

  it('answers 413 at once when Content-Length announces more than the cap, and the image stays queued', async () => {
    const image = await makeImage(t);
    const res = await t.request.put(`/v2/images/${image.id}/file`).set(OWNER).set('Content-Type', OCTETS).send(Buffer.alloc(1001));
    assert.equal(res.status, 413);
    assert.equal(messageOf(res.body), TOO_LARGE);
    assert.equal((await t.request.get(`/v2/images/${image.id}`).set(OWNER)).body.status, 'queued');
  });

  it('answers 413 when a chunked body grows past the cap; the image goes back to queued, no file is left', async () => {
    const image = await makeImage(t);
    const res = await putChunked(server, `/v2/images/${image.id}/file`, [Buffer.alloc(600), Buffer.alloc(600)]);
    assert.equal(res.status, 413);
    assert.equal(messageOf(JSON.parse(res.body)), TOO_LARGE);
    const shown = await t.request.get(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(shown.body.status, 'queued');
    assert.equal(shown.body.size, null);
    assert.deepEqual(readdirSync(t.config.images.storeDir), []);
    // Exactly the cap is fine.
    const ok = await putChunked(server, `/v2/images/${image.id}/file`, [Buffer.alloc(500), Buffer.alloc(500)]);
    assert.equal(ok.status, 204);
    assert.equal((await t.request.get(`/v2/images/${image.id}`).set(OWNER)).body.size, 1000);
  });
});
