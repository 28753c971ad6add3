/**
 * Racing requests against one SQLite file served by several glance-share processes (several
 * connections, as several instances on one machine would be): the member limit is never
 * exceeded, a member is never duplicated, and a removed row never comes back. Glance fails all
 * three (spec 14.10).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import supertest from 'supertest';
import { buildApp, engine, type TestApp } from '../helpers/build-app.ts';
import { MEMBER, OWNER, makeImage } from '../helpers/fixtures.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const INSTANCES = 3;
const LIMIT = 10;

describe(`members under concurrency (one ${engine} database, several processes)`, () => {
  let t: TestApp;
  const servers: ServerProcess[] = [];

  before(async () => {
    const config = { auth: { mode: 'trusted-headers' }, memberLimits: { default: LIMIT } };
    t = await buildApp(config);
    for (let i = 0; i < INSTANCES; i += 1) {
      servers.push(await startServer(t.sharedConfig(), join(t.dataDir, `config-${i}.json`)));
    }
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await t.close();
  });

  const agent = (i: number) => supertest(servers[i % servers.length]!.url);

  it(`60 simultaneous adds of distinct members: exactly ${LIMIT} succeed, the rest get 413`, async (context) => {
    const image = await makeImage(t);
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        agent(i)
          .post(`/v2/images/${image.id}/members`)
          .set(OWNER)
          .send({ member: `p-${i}` }),
      ),
    );
    const statuses = answers.map((res) => res.status);
    assert.equal(statuses.filter((s) => s === 200).length, LIMIT, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 413).length, 60 - LIMIT);
    const rows = await t.db('image_members').where({ image_id: image.id, deleted: false });
    assert.equal(rows.length, LIMIT);
    context.diagnostic(
      `${engine}: 60 distinct adds over ${INSTANCES} processes, limit ${LIMIT}: ${statuses.filter((s) => s === 200).length} × 200, ${statuses.filter((s) => s === 413).length} × 413, ${rows.length} rows`,
    );
  });

  it('30 simultaneous adds of the same member: one 200, the rest 409, one row', async (context) => {
    const image = await makeImage(t);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => agent(i).post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'p-member' })),
    );
    const statuses = answers.map((res) => res.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 409).length, 29);
    const rows = await t.db('image_members').where({ image_id: image.id });
    assert.equal(rows.length, 1);
    context.diagnostic(
      `${engine}: 30 adds of one member: ${statuses.filter((s) => s === 200).length} × 200, ${statuses.filter((s) => s === 409).length} × 409, ${rows.length} row`,
    );
  });

  it('status updates racing a removal: the removed row stays removed', async () => {
    for (let round = 0; round < 5; round += 1) {
      const image = await makeImage(t);
      const url = `/v2/images/${image.id}/members`;
      await agent(0).post(url).set(OWNER).send({ member: 'p-member' }).expect(200);
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          i === 12
            ? agent(i).delete(`${url}/p-member`).set(OWNER)
            : agent(i)
                .put(`${url}/p-member`)
                .set(MEMBER)
                .send({ status: i % 2 ? 'accepted' : 'rejected' }),
        ),
      );
      assert.equal(answers[12]!.status, 204);
      for (const res of answers) assert.ok([200, 204, 404].includes(res.status), String(res.status));
      const row = await t.db('image_members').where({ image_id: image.id, member_id: 'p-member' }).first();
      assert.equal(Boolean(row.deleted), true);
      const show = await agent(round).get(`${url}/p-member`).set(OWNER);
      assert.equal(show.status, 404);
    }
  });

  it('an image deleted while adds are in flight leaves no member rows behind', async () => {
    const image = await makeImage(t);
    const adds = Array.from({ length: 20 }, (_, i) =>
      agent(i)
        .post(`/v2/images/${image.id}/members`)
        .set(OWNER)
        .send({ member: `p-${i}` }),
    );
    const removal = agent(1).delete(`/v2/images/${image.id}`).set(OWNER);
    const answers = await Promise.all([...adds, removal]);
    assert.equal(answers.at(-1)!.status, 204, answers.at(-1)!.text);
    for (const res of answers.slice(0, -1)) assert.ok([200, 404, 413].includes(res.status), `${res.status} ${res.text}`);
    const orphans = await t.db('image_members').where({ image_id: image.id });
    assert.equal(orphans.length, 0);
  });
});
