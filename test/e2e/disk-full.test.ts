/**
 * A full image store: a 4 MiB tmpfs mounted as images.storeDir (the database stays on normal
 * disk), glance-share as a child process, uploads until the disk is full. The failing upload
 * answers Glance's 413 `Image storage media is full: …` (glance_store's filesystem driver turns
 * ENOSPC into StorageFull, glance/api/v2/image_data.py answers HTTPRequestEntityTooLarge and
 * restores the image to queued); nothing partial is left; the service keeps serving; deleting an
 * image frees the space for the next upload. Needs root (mount); `npm run test:e2e` runs it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { OWNER, messageOf } from '../helpers/fixtures.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const FULL = 'Image storage media is full: There is not enough disk space on the image storage media.';
const IMAGE_BYTES = 1536 * 1024;
const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
const isRoot = process.getuid?.() === 0;

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** PUT …/file with Content-Length, or chunked; resolves with the answer even if the server closes the connection after it. */
function upload(url: string, imageId: string, data: Buffer, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...OWNER, 'Content-Type': 'application/octet-stream' };
    if (chunked) headers['Transfer-Encoding'] = 'chunked';
    else headers['Content-Length'] = String(data.length);
    const req = httpRequest(new URL(`/v2/images/${imageId}/file`, url), { method: 'PUT', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    // The server answers a failed upload before the body is all sent, then closes: writing the
    // rest may fail (EPIPE / ECONNRESET), which is not the answer.
    req.on('error', (error) => setTimeout(() => reject(error), 1000));
    if (chunked) {
      for (let i = 0; i < data.length; i += 64 * 1024) req.write(data.subarray(i, i + 64 * 1024));
      req.end();
    } else {
      req.end(data);
    }
  });
}

describe('a full image store', { skip: !isRoot && 'needs root to mount a tmpfs', timeout: 120_000 }, () => {
  let t: TestApp;
  let server: ServerProcess | undefined;
  let storeDir: string | undefined;
  let mounted = false;

  before(async () => {
    storeDir = mkdtempSync(join(tmpdir(), 'glance-share-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', storeDir]);
    mounted = true;
    t = await buildApp({ auth: { mode: 'trusted-headers' }, images: { storeDir } });
    server = await startServer(t.sharedConfig(), join(t.dataDir, 'config.json'));
  });

  after(async () => {
    await server?.stop();
    if (mounted) {
      try {
        execFileSync('umount', [storeDir!]);
      } catch {
        execFileSync('umount', ['--lazy', storeDir!]);
      }
    }
    if (storeDir !== undefined) rmdirSync(storeDir);
    await t?.close();
  });

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${server!.url}${path}`, {
      method,
      headers: { ...OWNER, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text !== '' && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  };
  const createImage = async (): Promise<string> => {
    const created = await call('POST', '/v2/images', { name: 'fill', disk_format: 'raw', container_format: 'bare' });
    assert.equal(created.status, 201);
    return created.body.id as string;
  };
  const filesInStore = (): string[] => readdirSync(storeDir!).sort();

  it('fills the disk: the failing upload answers 413 storage full, the image goes back to queued, nothing partial is left', async () => {
    const stored = new Map<string, Buffer>();
    let failed: { id: string; answer: Answer } | undefined;
    for (let i = 0; i < 10 && failed === undefined; i++) {
      const id = await createImage();
      const data = randomBytes(IMAGE_BYTES);
      const answer = await upload(server!.url, id, data);
      if (answer.status === 204) stored.set(id, data);
      else failed = { id, answer };
    }
    assert.ok(failed !== undefined, 'the disk filled up');
    assert.equal(stored.size, 2, '4 MiB hold two images of 1.5 MiB');
    assert.equal(failed.answer.status, 413);
    assert.equal(messageOf(JSON.parse(failed.answer.body)), FULL);
    assert.equal(failed.answer.headers['x-openstack-request-id']?.toString().startsWith('req-'), true);

    const image = await call('GET', `/v2/images/${failed.id}`);
    assert.equal(image.body.status, 'queued');
    assert.equal(image.body.size, null);
    assert.equal(image.body.checksum, null);
    assert.deepEqual(filesInStore(), [...stored.keys()].sort(), 'only the finished images, no temporary file');
    for (const [id, data] of stored) {
      const shown = await call('GET', `/v2/images/${id}`);
      assert.equal(shown.body.status, 'active');
      assert.equal(shown.body.size, data.length);
      assert.equal(shown.body.checksum, md5(data));
    }
  });

  it('while full: other requests are served, and a chunked upload fails the same way', async () => {
    assert.equal((await fetch(`${server!.url}/healthcheck`)).status, 200);
    const list = await call('GET', '/v2/images');
    assert.equal(list.status, 200);
    const active = (list.body.images as Array<{ id: string; status: string; checksum: string }>).filter((i) => i.status === 'active');
    assert.equal(active.length, 2);
    const download = await fetch(`${server!.url}/v2/images/${active[0]!.id}/file`, { headers: OWNER });
    assert.equal(download.status, 200);
    assert.equal(md5(Buffer.from(await download.arrayBuffer())), active[0]!.checksum);
    assert.equal((await call('POST', `/v2/images/${active[0]!.id}/members`, { member: 'p-member' })).status, 200);
    const id = await createImage();

    const answer = await upload(server!.url, id, randomBytes(IMAGE_BYTES), true);
    assert.equal(answer.status, 413);
    assert.equal(messageOf(JSON.parse(answer.body)), FULL);
    assert.equal((await call('GET', `/v2/images/${id}`)).body.status, 'queued');
    assert.deepEqual(filesInStore(), active.map((i) => i.id).sort());
  });

  it('deleting an image frees space, and the next upload succeeds', async () => {
    const list = await call('GET', '/v2/images?sort_key=created_at&sort_dir=asc');
    const images = list.body.images as Array<{ id: string; status: string }>;
    const victim = images.find((i) => i.status === 'active')!;
    const queued = images.find((i) => i.status === 'queued')!;
    assert.equal((await call('DELETE', `/v2/images/${victim.id}`)).status, 204);
    assert.ok(!filesInStore().includes(victim.id));

    const data = randomBytes(IMAGE_BYTES);
    const answer = await upload(server!.url, queued.id, data);
    assert.equal(answer.status, 204, answer.body);
    const shown = await call('GET', `/v2/images/${queued.id}`);
    assert.equal(shown.body.status, 'active');
    assert.equal(shown.body.checksum, md5(data));
    const download = await fetch(`${server!.url}/v2/images/${queued.id}/file`, { headers: OWNER });
    assert.equal(md5(Buffer.from(await download.arrayBuffer())), md5(data));
    assert.ok(filesInStore().every((name) => !name.endsWith('.part')));
  });
});
