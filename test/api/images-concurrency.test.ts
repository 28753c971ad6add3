/**
 * Racing image writes through several glance-share processes sharing one SQLite file: PATCHes
 * never lose each other's changes (SQLite's lost write-lock races are retried), and only one of
 * two simultaneous uploads runs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import supertest from 'supertest';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { OWNER, makeImage } from '../helpers/fixtures.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

describe('image writes under concurrency (one SQLite file, several processes)', () => {
  let t: TestApp;
  const servers: ServerProcess[] = [];
  let agents: Array<ReturnType<typeof supertest>> = [];

  before(async () => {
    const config = { auth: { mode: 'trusted-headers' } };
    t = await buildApp(config);
    for (let i = 0; i < 3; i++) servers.push(await startServer(t.sharedConfig(), join(t.dataDir, `config-${i}.json`)));
    agents = servers.map((server) => supertest(server.url));
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await t.close();
  });

  it('30 simultaneous PATCHes adding different properties: all 30 end up on the image', async () => {
    const image = await makeImage(t);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        agents[i % agents.length]!.patch(`/v2/images/${image.id}`)
          .set(OWNER)
          .set('Content-Type', PATCH_TYPE)
          .send(JSON.stringify([{ op: 'add', path: `/p${i}`, value: String(i) }])),
      ),
    );
    assert.deepEqual(
      answers.map((res) => res.status),
      Array(30).fill(200),
    );
    const shown = await t.request.get(`/v2/images/${image.id}`).set(OWNER);
    for (let i = 0; i < 30; i++) assert.equal(shown.body[`p${i}`], String(i));
  });

  it("two simultaneous uploads: one 204, the other 409, and the data is the winner's", async () => {
    const image = await makeImage(t);
    const answers = await Promise.all(
      ['first', 'second'].map((data, i) =>
        agents[i]!.put(`/v2/images/${image.id}/file`).set(OWNER).set('Content-Type', 'application/octet-stream').send(Buffer.from(data)),
      ),
    );
    assert.deepEqual(answers.map((res) => res.status).sort(), [204, 409]);
    const loser = answers.find((res) => res.status === 409)!;
    assert.match(loser.body.message as string, /^Image status transition from (saving|active) to saving is not allowed/);
    const shown = await t.request.get(`/v2/images/${image.id}`).set(OWNER);
    assert.equal(shown.body.status, 'active');
    assert.ok(shown.body.size === 5 || shown.body.size === 6);
  });
});
