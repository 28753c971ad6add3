/**
 * Batch jobs in the database: a job survives an app rebuild on the same database; a job a crash
 * left RUNNING (or INIT) is finished by the next instance once its lease runs out, never lost; and
 * batch adds racing single /v2 adds on one image never exceed its limit nor duplicate a member.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import supertest from 'supertest';
import { createApp } from '../../src/app.ts';
import { buildApp, validator, type TestApp } from '../helpers/build-app.ts';
import { pollJob, runBatch } from '../helpers/batch.ts';
import { OWNER, makeImage } from '../helpers/fixtures.ts';

const LIMIT = 5;

describe('batch sharing API: jobs in the database, recovery and races', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, memberLimits: { default: LIMIT } });
  });
  after(() => t.close());

  /** A second instance on the same database (as after a restart, or beside this one). */
  const rebuild = () =>
    createApp({ config: t.config, db: t.db, logger: pino({ level: 'silent' }), clock: t.clock, validator: validator() });

  it('a job is answered by a rebuilt app on the same database', async () => {
    const image = await makeImage(t);
    const job = await runBatch(t, 'post', OWNER, { images: [image.id], projects: ['p-d'] });
    const second = rebuild();
    try {
      const res = await supertest(second.app).get(`/v1/p-owner/jobs/${job.job_id}`).set(OWNER);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, job);
    } finally {
      await second.stop();
    }
  });

  it('a job a crash left RUNNING is finished at start once its lease ran out; an unreadable one is marked FAIL', async () => {
    const image = await makeImage(t);
    const stale = new Date(t.clock.now().getTime() - 120_000).toISOString();
    const caller = { projectId: 'p-owner', userId: undefined, roles: ['member', 'reader'], isAdmin: false };
    const row = (id: string, status: string, request: unknown) => ({
      ...{ id, project_id: 'p-owner', job_type: 'imsAddImageMembersJob', status, caller: JSON.stringify(caller) },
      ...{ request: JSON.stringify(request), results: '[]', begin_time: stale, updated_at: stale },
    });
    const crashed = 'a'.repeat(32);
    const broken = 'b'.repeat(32);
    const fresh = 'c'.repeat(32);
    await t
      .db('batch_jobs')
      .insert([
        row(crashed, 'RUNNING', { kind: 'add', images: [image.id], projects: ['p-r1', 'p-r2'] }),
        row(broken, 'INIT', { nonsense: true }),
        { ...row(fresh, 'INIT', { kind: 'add', images: [image.id], projects: ['p-r3'] }), updated_at: t.clock.now().toISOString() },
      ]);
    const second = rebuild();
    try {
      await second.start();
      const ask = (id: string) => supertest(second.app).get(`/v1/p-owner/jobs/${id}`).set(OWNER);
      const done = await ask(crashed);
      assert.equal(done.body.status, 'SUCCESS');
      assert.deepEqual(
        done.body.entities.results.map((r: { outcome: string }) => r.outcome),
        ['created', 'created'],
      );
      const members = await t.request.get(`/v2/images/${image.id}/members`).set(OWNER);
      assert.deepEqual(members.body.members.map((m: { member_id: string }) => m.member_id).sort(), ['p-r1', 'p-r2']);
      const failed = await ask(broken);
      assert.equal(failed.body.status, 'FAIL');
      assert.equal(failed.body.error_code, 'IMG.0112');
      // A job whose lease is still fresh may belong to a live instance: left alone.
      assert.equal((await ask(fresh)).body.status, 'INIT');
    } finally {
      await second.stop();
    }
  });

  it('batch adds and single /v2 adds racing on one image never exceed the limit nor duplicate a member', async () => {
    const image = await makeImage(t);
    const second = rebuild();
    try {
      const ids = Array.from({ length: 12 }, (_, i) => `p-race-${i}`);
      const batches = [0, 1, 2].map((k) =>
        (k === 1 ? supertest(second.app) : t.request)
          .post('/v1/cloudimages/members')
          .query({ sync: 'true' })
          .set(OWNER)
          .send({ images: [image.id], projects: ids.slice(k * 3, k * 3 + 8) }),
      );
      const singles = ids.map((member, i) =>
        (i % 2 === 0 ? supertest(second.app) : t.request).post(`/v2/images/${image.id}/members`).set(OWNER).send({ member }),
      );
      const answers = await Promise.all([...batches, ...singles]);
      for (const answer of answers.slice(0, 3)) {
        assert.equal(answer.status, 200);
        const job = await pollJob(t, OWNER, answer.body.job_id as string);
        for (const r of job.entities.results) assert.ok(['created', 'already_member', 'quota_exceeded'].includes(r['outcome'] as string));
      }
      for (const answer of answers.slice(3)) assert.ok([200, 409, 413].includes(answer.status), String(answer.status));
      const rows = await t.db('image_members').where({ image_id: image.id }).select('member_id');
      const memberIds = rows.map((r: { member_id: string }) => r.member_id);
      assert.equal(memberIds.length, LIMIT);
      assert.equal(new Set(memberIds).size, memberIds.length);
    } finally {
      await second.stop();
    }
  });
});
