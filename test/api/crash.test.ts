/**
 * "Nothing acknowledged is lost": glance-share as a real process under a concurrent write load
 * (image creates with properties and tags, slow chunked uploads, member adds, status updates,
 * member and image deletes), SIGKILLed at random moments and restarted on the same database and
 * data directory. Every request that got a success answer is recorded with what it wrote; after
 * the last restart each one must be there with its state, or with the state of a later request on
 * the same key. A request cut off by a kill may or may not have happened, so it only widens what
 * is allowed after it. Nothing may be half-written: no member, property or tag rows without their
 * image, no image `active` without its file at the right size and checksums, no image left in
 * `saving`, no temporary file. Runs on SQLite (`npm test`) and PostgreSQL (`npm run test:pg`).
 *
 * Every worker owns its images, so the requests on one key never overlap and their order is
 * known. CRASH_SEED=<n> replays the same choices (the kill moments still depend on timing).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp, engine, type TestApp } from '../helpers/build-app.ts';
import { OWNER, as } from '../helpers/fixtures.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const WORKERS = 16;
const KILLS = 5;
const SAVING_TIMEOUT_SECONDS = 2;
const MIN_ACKED_PER_RUN = 60;
const MEMBERS = ['p-m0', 'p-m1', 'p-m2', 'p-m3', 'p-m4'];
const STATUSES = ['pending', 'accepted', 'rejected'] as const;

/** mulberry32: small, seedable, good enough to pick actions. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

type Outcome = 'acked' | 'unknown' | 'refused';
/** One write: the key it touches and the state it leaves when it happens. */
interface Write {
  kind: string;
  key: string;
  state: string;
  outcome: Outcome;
  status?: number;
}

interface OwnedImage {
  id: string;
  properties: Record<string, string>;
  tags: string[];
  /** No upload tried yet (an upload is tried once: after an unanswered one the image may sit in saving). */
  uploadable: boolean;
}

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
const sha512 = (data: Buffer): string => createHash('sha512').update(data).digest('hex');

describe(`crash safety: SIGKILL under a write load (${engine})`, { timeout: 180_000 }, () => {
  let t: TestApp;
  let server: ServerProcess;
  let starts = 0;
  const start = async (): Promise<ServerProcess> => startServer(t.sharedConfig(), join(t.dataDir, `config-${starts++}.json`));

  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, images: { savingTimeoutSeconds: SAVING_TIMEOUT_SECONDS } });
    server = await start();
  });
  after(async () => {
    await server?.stop();
    await t.close();
  });

  it('every acknowledged write survives, nothing is half-written, and the service answers', async (ctx) => {
    const seed = Number(process.env['CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    const random = prng(seed);
    const between = (low: number, high: number): number => low + Math.floor(random() * (high - low));
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

    const writes: Write[] = [];
    const byKey = new Map<string, Write[]>();
    const images = new Map<string, { properties: Record<string, string>; tags: string[] }>();
    const statusCounts = new Map<number, number>();
    let url = server.url;
    let up: Promise<void> = Promise.resolve();
    let stopping = false;

    /** Sends one write and records it; a request cut off by a kill is `unknown`, and waits for the restart. */
    async function send(
      kind: string,
      key: string,
      state: string,
      method: string,
      path: string,
      init: {
        headers?: Record<string, string>;
        body?: RequestInit['body'];
        json?: unknown;
        duplex?: boolean;
        expect: number;
      },
    ): Promise<Outcome> {
      const write: Write = { kind, key, state, outcome: 'unknown' };
      writes.push(write);
      byKey.set(key, [...(byKey.get(key) ?? []), write]);
      const headers: Record<string, string> = { ...OWNER, ...init.headers };
      let body = init.body;
      if (init.json !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(init.json);
      }
      try {
        const response = await fetch(`${url}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          ...(init.duplex ? { duplex: 'half' } : {}),
          signal: AbortSignal.timeout(20_000),
        } as RequestInit);
        await response.arrayBuffer();
        write.status = response.status;
        statusCounts.set(response.status, (statusCounts.get(response.status) ?? 0) + 1);
        write.outcome = response.status === init.expect ? 'acked' : 'refused';
      } catch {
        await up;
      }
      return write.outcome;
    }

    /** A body that arrives in three chunks over some tens of milliseconds, so that kills catch uploads in `saving`. */
    function slowBody(data: Buffer): ReadableStream<Uint8Array> {
      const parts = [
        data.subarray(0, data.length / 3),
        data.subarray(data.length / 3, (2 * data.length) / 3),
        data.subarray((2 * data.length) / 3),
      ];
      return new ReadableStream({
        async pull(controller) {
          const part = parts.shift();
          if (part === undefined) controller.close();
          else {
            controller.enqueue(new Uint8Array(part));
            await sleep(10);
          }
        },
      });
    }

    async function worker(index: number): Promise<void> {
      const owned: OwnedImage[] = [];
      const members = new Map<string, string>(); // `${image}:${member}` → last state this worker believes
      while (!stopping) {
        const roll = random();
        if (owned.length < 2 || roll < 0.1) {
          const id = randomUUID();
          const properties: Record<string, string> = { worker: String(index), [`p${between(0, 1000)}`]: randomBytes(4).toString('hex') };
          const tags = [`t${between(0, 100)}`, `w${index}`];
          images.set(id, { properties, tags });
          const outcome = await send('image create', `image:${id}`, 'present', 'POST', '/v2/images', {
            json: { id, name: `crash-${index}`, disk_format: 'raw', container_format: 'bare', visibility: 'shared', tags, ...properties },
            expect: 201,
          });
          if (outcome === 'acked') owned.push({ id, properties, tags, uploadable: true });
          continue;
        }
        const image = pick(owned);
        if (roll < 0.14) {
          owned.splice(owned.indexOf(image), 1);
          await send('image delete', `image:${image.id}`, 'absent', 'DELETE', `/v2/images/${image.id}`, { expect: 204 });
        } else if (roll < 0.3 && image.uploadable) {
          image.uploadable = false;
          const data = randomBytes(between(1, 64 * 1024));
          await send(
            'upload',
            `data:${image.id}`,
            `active ${data.length} ${md5(data)} ${sha512(data)}`,
            'PUT',
            `/v2/images/${image.id}/file`,
            {
              headers: { 'Content-Type': 'application/octet-stream' },
              body: slowBody(data),
              duplex: true,
              expect: 204,
            },
          );
        } else {
          const member = pick(MEMBERS);
          const key = `member:${image.id}:${member}`;
          const believed = members.get(key) ?? 'absent';
          const path = `/v2/images/${image.id}/members`;
          if (believed === 'absent' || (believed === 'unknown' && random() < 0.5)) {
            const outcome = await send('member add', key, 'pending', 'POST', path, { json: { member }, expect: 200 });
            members.set(key, outcome === 'acked' ? 'pending' : outcome === 'unknown' ? 'unknown' : believed);
          } else if (random() < 0.7) {
            const status = pick(STATUSES);
            const outcome = await send('status update', key, status, 'PUT', `${path}/${member}`, {
              headers: as(member),
              json: { status },
              expect: 200,
            });
            if (outcome !== 'refused') members.set(key, outcome === 'acked' ? status : 'unknown');
          } else {
            const outcome = await send('member delete', key, 'absent', 'DELETE', `${path}/${member}`, { expect: 204 });
            if (outcome !== 'refused') members.set(key, outcome === 'acked' ? 'absent' : 'unknown');
          }
        }
      }
    }

    // The load, with KILLS SIGKILLs at random moments; the last one ends it.
    const load = Array.from({ length: WORKERS }, (_, i) => worker(i));
    let savingAtKill = 0;
    let partialFilesAtKill = 0;
    const storeDir = t.config.images.storeDir;
    const temporaries = (): string[] => (existsSync(storeDir) ? readdirSync(storeDir).filter((name) => name.endsWith('.part')) : []);
    for (let kill = 1; kill <= KILLS; kill++) {
      // A random moment, but not before this run of the server has acknowledged some writes
      // (on a busy machine the server may take a while to warm up).
      const ackedBefore = writes.filter((w) => w.outcome === 'acked').length;
      await sleep(between(500, 2500));
      while (writes.filter((w) => w.outcome === 'acked').length < ackedBefore + MIN_ACKED_PER_RUN) await sleep(between(20, 200));
      let restarted!: () => void;
      up = new Promise((resolve) => {
        restarted = resolve;
      });
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGKILL');
      await exited;
      savingAtKill += Number((await t.db('images').where({ status: 'saving' }).count({ n: '*' }).first())?.['n'] ?? 0);
      partialFilesAtKill += temporaries().length;
      if (kill === KILLS) stopping = true;
      server = await start();
      url = server.url;
      restarted();
    }
    await Promise.all(load);

    // Uploads the kills interrupted go back to queued once their lease runs out.
    const deadline = Date.now() + (SAVING_TIMEOUT_SECONDS * 3 + 5) * 1000;
    let saving = Infinity;
    while (saving > 0 && Date.now() < deadline) {
      saving = Number((await t.db('images').where({ status: 'saving' }).count({ n: '*' }).first())?.['n'] ?? 0);
      if (saving > 0) await sleep(200);
    }
    assert.equal(saving, 0, 'no image is left in saving');
    for (let i = 0; i < 20 && temporaries().length > 0; i++) await sleep(200);
    assert.deepEqual(temporaries(), [], 'no temporary file is left');

    // Nothing half-written.
    for (const table of ['image_members', 'image_properties', 'image_tags']) {
      const orphans = await t.db(table).whereNotIn('image_id', t.db('images').select('id')).count({ n: '*' }).first();
      assert.equal(Number(orphans?.['n']), 0, `no ${table} rows without their image`);
    }
    const rows = await t.db('images').select('id', 'status', 'size', 'checksum', 'os_hash_value');
    const byId = new Map(rows.map((row) => [row.id as string, row]));
    for (const row of rows) {
      assert.ok(images.has(row.id), `image ${row.id} was created by this test`);
      assert.ok(['queued', 'active'].includes(row.status), `image ${row.id} is ${row.status}`);
      if (row.status !== 'active') continue;
      const path = join(storeDir, row.id);
      assert.ok(existsSync(path), `active image ${row.id} has its file`);
      const data = readFileSync(path);
      assert.equal(data.length, Number(row.size), `file size of ${row.id}`);
      assert.equal(md5(data), row.checksum, `md5 of ${row.id}`);
      assert.equal(sha512(data), row.os_hash_value, `sha512 of ${row.id}`);
    }

    // The final state of every key, read through the service itself.
    const agent = async (path: string, headers = OWNER): Promise<{ status: number; body: any }> => {
      const response = await fetch(`${server.url}${path}`, { headers });
      return { status: response.status, body: response.status === 200 ? await response.json() : await response.text() };
    };
    const finalState = new Map<string, string>();
    for (const id of images.keys()) {
      const shown = await agent(`/v2/images/${id}`);
      assert.ok([200, 404].includes(shown.status), `GET image ${id}: ${shown.status}`);
      finalState.set(`image:${id}`, shown.status === 200 ? 'present' : 'absent');
      assert.equal(byId.has(id), shown.status === 200, `the API and the database agree on image ${id}`);
      if (shown.status !== 200) continue;
      // Created in one transaction: properties and tags all there, or the image is not.
      const expected = images.get(id)!;
      for (const [name, value] of Object.entries(expected.properties)) assert.equal(shown.body[name], value, `property ${name} of ${id}`);
      assert.deepEqual(shown.body.tags, expected.tags, `tags of ${id}`);
      finalState.set(
        `data:${id}`,
        shown.body.status === 'active' ? `active ${shown.body.size} ${shown.body.checksum} ${shown.body.os_hash_value}` : shown.body.status,
      );
      const listed = await agent(`/v2/images/${id}/members`);
      assert.equal(listed.status, 200);
      for (const member of MEMBERS) {
        const row = (listed.body.members as Array<{ member_id: string; status: string }>).find((m) => m.member_id === member);
        finalState.set(`member:${id}:${member}`, row?.status ?? 'absent');
      }
    }

    // Each key: the state of its last acknowledged write, or of an unanswered one after it.
    const initial = (key: string): string => (key.startsWith('image:') ? 'absent' : key.startsWith('data:') ? 'queued' : 'absent');
    let verified = 0;
    const failures: string[] = [];
    for (const [key, keyWrites] of byKey) {
      const imageId = key.split(':')[1]!;
      if (!key.startsWith('image:') && finalState.get(`image:${imageId}`) !== 'present') {
        // The image is gone (an image delete, acknowledged or not): so is everything on it.
        if (keyWrites.some((w) => w.outcome === 'acked')) {
          const deleteWrites = byKey.get(`image:${imageId}`)?.filter((w) => w.state === 'absent') ?? [];
          if (deleteWrites.length === 0) failures.push(`${key}: image ${imageId} vanished without a delete`);
          else verified += keyWrites.filter((w) => w.outcome === 'acked').length;
        }
        continue;
      }
      const lastAcked = keyWrites.findLastIndex((w) => w.outcome === 'acked');
      const allowed = new Set([lastAcked === -1 ? initial(key) : keyWrites[lastAcked]!.state]);
      for (const w of keyWrites.slice(lastAcked + 1)) if (w.outcome === 'unknown') allowed.add(w.state);
      const actual = finalState.get(key) ?? initial(key);
      if (allowed.has(actual)) verified += keyWrites.filter((w) => w.outcome === 'acked').length;
      else
        failures.push(
          `${key}: ${actual}, expected one of ${[...allowed].join(' | ')} (writes: ${keyWrites.map((w) => `${w.kind}→${w.state.split(' ')[0]} ${w.outcome}`).join(', ')})`,
        );
    }

    // The service answers normally after all this: a fresh image, a member, an upload, a download.
    const fresh = randomUUID();
    const data = randomBytes(10_000);
    const json = { ...OWNER, 'Content-Type': 'application/json' };
    assert.equal(
      (
        await fetch(`${server.url}/v2/images`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ id: fresh, disk_format: 'raw', container_format: 'bare' }),
        })
      ).status,
      201,
    );
    assert.equal(
      (await fetch(`${server.url}/v2/images/${fresh}/members`, { method: 'POST', headers: json, body: JSON.stringify({ member: 'p-m0' }) }))
        .status,
      200,
    );
    assert.equal(
      (
        await fetch(`${server.url}/v2/images/${fresh}/file`, {
          method: 'PUT',
          headers: { ...OWNER, 'Content-Type': 'application/octet-stream' },
          body: data,
        })
      ).status,
      204,
    );
    const download = await fetch(`${server.url}/v2/images/${fresh}/file`, { headers: OWNER });
    assert.equal(md5(Buffer.from(await download.arrayBuffer())), md5(data));
    assert.equal((await fetch(`${server.url}/healthcheck`)).status, 200);

    const count = (outcome: Outcome, kind?: string): number =>
      writes.filter((w) => w.outcome === outcome && (kind === undefined || w.kind === kind)).length;
    const kinds = [...new Set(writes.map((w) => w.kind))];
    ctx.diagnostic(
      `engine ${engine}, seed ${seed}: ${KILLS} kills, ${writes.length} writes attempted, ${count('acked')} acknowledged, ` +
        `${verified} verified, ${count('unknown')} cut off by a kill, ${count('refused')} refused ` +
        `(${
          [...statusCounts]
            .filter(([s]) => s >= 400)
            .map(([s, n]) => `${s}×${n}`)
            .join(', ') || 'none'
        })`,
    );
    ctx.diagnostic(
      `acknowledged by kind: ${kinds.map((kind) => `${kind} ${count('acked', kind)}/${writes.filter((w) => w.kind === kind).length}`).join(', ')}`,
    );
    ctx.diagnostic(`right after the kills: ${savingAtKill} images in saving, ${partialFilesAtKill} temporary files (all recovered)`);

    assert.deepEqual(failures, [], 'every acknowledged write is there');
    assert.equal(verified, count('acked'));
    assert.ok(count('acked') >= KILLS * MIN_ACKED_PER_RUN, `a real load (${count('acked')} acknowledged writes)`);
    assert.ok(count('unknown') >= KILLS, 'the kills cut requests off mid-flight');
    assert.ok(![...statusCounts.keys()].some((status) => status >= 500), `no 5xx answers: ${JSON.stringify([...statusCounts])}`);
  });
});
