/**
 * Per-pair results of batch jobs and the job's verdict: created, already_member, quota_exceeded
 * with its limit, image_not_found, forbidden, invalid_project; sync mode and `Prefer: wait`;
 * Idempotency-Key; the bounds on a call; the IMS error shape.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { runBatch, type JobBody } from '../helpers/batch.ts';
import { MEMBER, OTHER, OWNER, makeImage } from '../helpers/fixtures.ts';

const outcomes = (job: JobBody): Array<[unknown, unknown, unknown]> =>
  job.entities.results.map((r) => [r['project_id'], r['status'], r['outcome']]);

describe('batch sharing API: outcomes, sync, idempotency, bounds, errors', () => {
  let t: TestApp;
  before(async () => {
    const memberLimits = { default: 128, rules: [{ property: 'image_type', values: ['full-server'], limit: 2 }] };
    t = await buildApp({ auth: { mode: 'trusted-headers' }, memberLimits });
  });
  after(() => t.close());

  it('reports created, already_member (a success) and quota_exceeded with the limit, and FAILs the job', async () => {
    const image = await makeImage(t, { properties: { image_type: 'full-server' } });
    await t.request.post(`/v2/images/${image.id}/members`).set(OWNER).send({ member: 'p-a' }).expect(200);
    const job = await runBatch(t, 'post', OWNER, { images: [image.id], projects: ['p-a', 'p-b', 'p-c'] });
    assert.deepEqual(outcomes(job), [
      ['p-a', 'success', 'already_member'],
      ['p-b', 'success', 'created'],
      ['p-c', 'failed', 'quota_exceeded'],
    ]);
    assert.equal(job.entities.results[2]!['limit'], 2);
    assert.match(String(job.entities.results[2]!['message']), /Maximum: 2/);
    assert.equal(job.status, 'FAIL');
    assert.equal(job.error_code, 'IMG.0088');
    assert.match(String(job.fail_reason), /^1 of 3 image\/project pairs failed/);
  });

  it('a re-add of existing members only is a SUCCESS', async () => {
    const image = await makeImage(t);
    await runBatch(t, 'post', OWNER, { images: [image.id], projects: ['p-a'] });
    const again = await runBatch(t, 'post', OWNER, { images: [image.id], projects: ['p-a'] });
    assert.equal(again.status, 'SUCCESS');
    assert.deepEqual(outcomes(again), [['p-a', 'success', 'already_member']]);
  });

  it('image_not_found, forbidden and invalid_project per pair', async () => {
    const mine = await makeImage(t);
    const theirs = await makeImage(t, { owner: 'p-other' });
    const missing = randomUUID();
    const job = await runBatch(t, 'post', OWNER, { images: [mine.id, theirs.id, missing], projects: ['p-x', 'bad project!'] });
    assert.deepEqual(
      job.entities.results.map((r) => [r['image_id'], r['project_id'], r['outcome']]),
      [
        [mine.id, 'p-x', 'created'],
        [mine.id, 'bad project!', 'invalid_project'],
        [theirs.id, 'p-x', 'image_not_found'],
        [theirs.id, 'bad project!', 'invalid_project'],
        [missing, 'p-x', 'image_not_found'],
        [missing, 'bad project!', 'invalid_project'],
      ],
    );
    assert.equal(job.status, 'FAIL');
    assert.equal(job.error_code, 'IMG.0067');
    // A member of a shared image sees it, but may not share it: forbidden.
    await runBatch(t, 'post', OTHER, { images: [theirs.id], projects: ['p-member'] });
    const byMember = await runBatch(t, 'post', MEMBER, { images: [theirs.id], projects: ['p-y'] });
    assert.deepEqual(outcomes(byMember), [['p-y', 'failed', 'forbidden']]);
    assert.equal(byMember.error_code, 'IMG.0047');
  });

  it('?sync=true and Prefer: wait=N answer the finished job (still 200, with job_id)', async () => {
    const image = await makeImage(t);
    const sync = await t.request
      .post('/v1/cloudimages/members')
      .query({ sync: 'true' })
      .set(OWNER)
      .send({ images: [image.id], projects: ['p-s'] });
    assert.equal(sync.status, 200);
    assert.match(sync.body.job_id as string, /^[0-9a-f]{32}$/);
    assert.equal(sync.body.status, 'SUCCESS');
    assert.equal(sync.headers['preference-applied'], undefined);
    const waited = await t.request
      .delete('/v1/cloudimages/members')
      .set(OWNER)
      .set('Prefer', 'respond-async, wait=10')
      .send({ images: [image.id], projects: ['p-s'] });
    assert.equal(waited.status, 200);
    assert.equal(waited.headers['preference-applied'], 'wait=10');
    assert.equal(waited.body.status, 'SUCCESS');
    assert.deepEqual(outcomes(waited.body as JobBody), [['p-s', 'success', 'removed']]);
  });

  it('a repeated Idempotency-Key from the same project returns the first job; another project gets its own', async () => {
    const image = await makeImage(t);
    const send = (headers: Record<string, string>, projects: string[]) =>
      t.request
        .post('/v1/cloudimages/members')
        .set(headers)
        .set('Idempotency-Key', 'key-1')
        .send({ images: [image.id], projects });
    const first = await send(OWNER, ['p-i']);
    const again = await send(OWNER, ['p-j']);
    assert.equal(again.body.job_id, first.body.job_id);
    const other = await t.request
      .post('/v1/cloudimages/members')
      .set(OTHER)
      .set('Idempotency-Key', 'key-1')
      .send({ images: [image.id], projects: ['p-i'] });
    assert.notEqual(other.body.job_id, first.body.job_id);
    t.clock.advance(24 * 60 * 60 + 1);
    const later = await send(OWNER, ['p-i']);
    assert.notEqual(later.body.job_id, first.body.job_id);
  });

  it('bounds a call to 100 images × 100 projects', async () => {
    const images = Array.from({ length: 101 }, () => randomUUID());
    const tooMany = await t.request
      .post('/v1/cloudimages/members')
      .set(OWNER)
      .send({ images, projects: ['p-1'] });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.error.code, 'IMG.0001');
    assert.match(tooMany.body.error.message as string, /at most 100 images and 100 projects \(10000 pairs\)/);
    const projects = Array.from({ length: 101 }, (_, i) => `p-${i}`);
    const tooManyProjects = await t.request
      .post('/v1/cloudimages/members')
      .set(OWNER)
      .send({ images: [randomUUID()], projects });
    assert.equal(tooManyProjects.body.error.code, 'IMG.0001');
  });

  it('refuses bad calls synchronously in the IMS error shape', async () => {
    const image = await makeImage(t);
    const cases: Array<[string, 'post' | 'put' | 'delete', string | object | undefined, number, string]> = [
      ['no body', 'post', undefined, 400, 'IMG.0007'],
      ['not JSON', 'post', '{"images": [', 400, 'IMG.0001'],
      ['wrong types', 'delete', { images: 'x', projects: ['p'] }, 400, 'IMG.0001'],
      ['no images', 'post', { images: [], projects: ['p'] }, 400, 'IMG.0001'],
      ['bad image id', 'post', { images: ['nope'], projects: ['p'] }, 400, 'IMG.0066'],
      ['self-share', 'post', { images: [image.id], projects: ['p-owner'] }, 400, 'IMG.0076'],
      ['foreign project_id', 'put', { images: [image.id], project_id: 'p-member', status: 'accepted' }, 400, 'IMG.0067'],
      ['bad status', 'put', { images: [image.id], project_id: 'p-owner', status: 'pending' }, 400, 'IMG.0001'],
    ];
    for (const [name, method, body, status, code] of cases) {
      let request = t.request[method]('/v1/cloudimages/members').set(OWNER);
      if (body !== undefined)
        request = request.set('Content-Type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
      const res = await request;
      assert.equal(res.status, status, name);
      assert.match(String(res.headers['content-type']), /^application\/json/, name);
      assert.deepEqual(Object.keys(res.body.error as object).sort(), ['code', 'message'], name);
      assert.equal(res.body.error.code, code, name);
    }
    const unauthenticated = await t.request.post('/v1/cloudimages/members').send({ images: [image.id], projects: ['p'] });
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.body.error.code, 'APIGW.0301');
    const head = await t.request.patch('/v1/cloudimages/members').set(OWNER);
    assert.equal(head.status, 405);
    assert.equal(head.body.error.code, 'IMG.0105');
    const unknownJob = await t.request.get(`/v1/p-owner/jobs/${'0'.repeat(32)}`).set(OWNER);
    assert.equal(unknownJob.status, 404);
    assert.ok(typeof unknownJob.body.error.code === 'string');
  });
});
