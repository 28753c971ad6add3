/**
 * The IMS v1 batch sharing calls on the wire (spec ims-sharing.md sections 2–6 and 10): bodies,
 * 200 + job_id, the job readable at once, Terraform's share/accept/unshare flow, the member list
 * with limit/marker/page_info, and the single-member read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { pollJob, runBatch } from '../helpers/batch.ts';
import { MEMBER, MEMBER2, OTHER, OWNER, makeImage } from '../helpers/fixtures.ts';

const MS_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('batch sharing API: wire shapes and the Terraform flow', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' } });
  });
  after(() => t.close());

  it('POST answers 200 {"job_id"} and the job is readable at once by the issuing project only', async () => {
    const image = await makeImage(t);
    const res = await t.request
      .post('/v1/cloudimages/members')
      .set(OWNER)
      .set('Content-Type', 'application/json;charset=UTF-8')
      .send(JSON.stringify({ images: [image.id], projects: ['p-member'], extra: { ignored: true } }));
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body), ['job_id']);
    const jobId = res.body.job_id as string;
    assert.match(jobId, /^[0-9a-f]{32}$/);
    const first = await t.request.get(`/v1/p-owner/jobs/${jobId}`).set(OWNER);
    assert.equal(first.status, 200);
    assert.ok(['INIT', 'RUNNING', 'SUCCESS'].includes(first.body.status as string));
    assert.equal((await t.request.get(`/v1/p-other/jobs/${jobId}`).set(OTHER)).status, 404);
    assert.equal((await t.request.get(`/v1/cloudimages/job/${jobId}`).set(OTHER)).status, 404);
    assert.equal((await t.request.get(`/v1/p-member/jobs/${jobId}`).set(OWNER)).status, 403);
    const job = await pollJob(t, OWNER, jobId);
    assert.deepEqual(Object.keys(job), ['job_id', 'job_type', 'begin_time', 'end_time', 'status', 'error_code', 'fail_reason', 'entities']);
    assert.equal(job.status, 'SUCCESS');
    assert.equal(job.job_type, 'imsAddImageMembersJob');
    assert.match(job.begin_time, MS_TIME);
    assert.match(String(job.end_time), MS_TIME);
    assert.equal(job.error_code, null);
    assert.equal(job.fail_reason, null);
    assert.deepEqual(job.entities.results, [{ image_id: image.id, project_id: 'p-member', status: 'success', outcome: 'created' }]);
    const progress = await t.request.get(`/v1/cloudimages/job/${jobId}`).set(OWNER);
    assert.equal(progress.status, 200);
    assert.equal(progress.body.status, 'SUCCESS');
  });

  it("Terraform's flow: share, accept by the recipient, reject, unshare (DELETE with a body)", async () => {
    const image = await makeImage(t);
    const shared = await runBatch(t, 'post', OWNER, { images: [image.id], projects: ['p-member', 'p-member2'] });
    assert.equal(shared.status, 'SUCCESS');
    const pending = await t.request.get(`/v2/images/${image.id}/members/p-member`).set(OWNER);
    assert.equal(pending.body.status, 'pending');

    const accepted = await runBatch(t, 'put', MEMBER, { images: [image.id], project_id: 'p-member', status: 'accepted', vault_id: 'v' });
    assert.equal(accepted.status, 'SUCCESS');
    assert.equal(accepted.job_type, 'imsUpdateImageMembersJob');
    assert.deepEqual(accepted.entities.results, [{ image_id: image.id, project_id: 'p-member', status: 'success', outcome: 'updated' }]);
    assert.equal((await t.request.get(`/v2/images/${image.id}/members/p-member`).set(MEMBER)).body.status, 'accepted');

    const rejected = await runBatch(t, 'put', MEMBER2, { images: [image.id], project_id: 'p-member2', status: 'rejected' });
    assert.equal(rejected.status, 'SUCCESS');
    assert.equal((await t.request.get(`/v2/images/${image.id}/members/p-member2`).set(MEMBER2)).body.status, 'rejected');

    const removed = await runBatch(t, 'delete', OWNER, { images: [image.id], projects: ['p-member', 'p-member2', 'p-never'] });
    assert.equal(removed.status, 'SUCCESS');
    assert.equal(removed.job_type, 'imsDelImageMembersJob');
    assert.deepEqual(
      removed.entities.results.map((r) => [r['project_id'], r['status'], r['outcome']]),
      [
        ['p-member', 'success', 'removed'],
        ['p-member2', 'success', 'removed'],
        ['p-never', 'success', 'not_member'],
      ],
    );
    assert.deepEqual((await t.request.get(`/v2/images/${image.id}/members`).set(OWNER)).body.members, []);
  });

  it('tolerates "projects": null beside projects-free fields, and refuses domains for now (IMG.0105)', async () => {
    const image = await makeImage(t);
    const nullProjects = await t.request
      .post('/v1/cloudimages/members')
      .set(OWNER)
      .send({ images: [image.id], projects: null });
    assert.equal(nullProjects.status, 400);
    assert.equal(nullProjects.body.error.code, 'IMG.0001');
    const domains = await t.request
      .post('/v1/cloudimages/members')
      .set(OWNER)
      .send({ images: [image.id], projects: null, domains: ['d1'] });
    assert.equal(domains.status, 400);
    assert.equal(domains.body.error.code, 'IMG.0105');
    const emptyOthers = await runBatch(t, 'post', OWNER, { images: [image.id], projects: ['p-member'], domains: [], organizations: null });
    assert.equal(emptyOthers.status, 'SUCCESS');
  });

  it('lists members with member_type, limit, a base64 marker and page_info; a recipient sees its own row', async () => {
    const image = await makeImage(t);
    const projects = Array.from({ length: 5 }, (_, i) => `p-list-${i}`);
    assert.equal((await runBatch(t, 'post', OWNER, { images: [image.id], projects })).status, 'SUCCESS');
    const all = await t.request.get(`/v1/p-owner/cloudimages/${image.id}/members`).set(OWNER);
    assert.equal(all.status, 200);
    assert.equal(all.body.schema, '/v2/schemas/members');
    assert.deepEqual(all.body.page_info, { next_marker: null, current_count: 5 });
    assert.deepEqual(Object.keys(all.body.members[0]), [
      'status',
      'created_at',
      'updated_at',
      'image_id',
      'member_id',
      'schema',
      'member_type',
    ]);
    assert.equal(all.body.members[0].member_type, 'project');
    assert.match(all.body.members[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const seen: string[] = [];
    let marker: string | null = null;
    do {
      const query: Record<string, string> = marker === null ? { limit: '2' } : { limit: '2', marker };
      const page = await t.request.get(`/v1/p-owner/cloudimages/${image.id}/members`).query(query).set(OWNER);
      assert.equal(page.status, 200);
      assert.equal(page.body.page_info.current_count, page.body.members.length);
      seen.push(...page.body.members.map((m: { member_id: string }) => m.member_id));
      marker = page.body.page_info.next_marker as string | null;
      if (marker !== null) assert.equal(Buffer.from(marker, 'base64').toString('base64'), marker);
    } while (marker !== null);
    assert.deepEqual(seen.sort(), [...projects].sort());

    const recipient = await t.request.get(`/v1/p-list-3/cloudimages/${image.id}/members`).set({ ...OWNER, 'X-Project-Id': 'p-list-3' });
    assert.deepEqual(
      recipient.body.members.map((m: { member_id: string }) => m.member_id),
      ['p-list-3'],
    );
    for (const limit of ['0', '1001', 'x']) {
      const bad = await t.request.get(`/v1/p-owner/cloudimages/${image.id}/members`).query({ limit }).set(OWNER);
      assert.equal(bad.status, 400, limit);
      assert.equal(bad.body.error.code, 'IMG.0001');
    }
    const badMarker = await t.request.get(`/v1/p-owner/cloudimages/${image.id}/members`).query({ marker: 'bm9wZQ==' }).set(OWNER);
    assert.equal(badMarker.body.error.code, 'IMG.0001');
    assert.equal((await t.request.get(`/v1/p-other/cloudimages/${image.id}/members`).set(OWNER)).status, 403);
    const hidden = await t.request.get(`/v1/p-other/cloudimages/${image.id}/members`).set(OTHER);
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.error.code, 'IMG.0027');
  });

  it('reads one member', async () => {
    const image = await makeImage(t);
    await runBatch(t, 'post', OWNER, { images: [image.id], projects: ['p-member'] });
    const one = await t.request.get(`/v1/p-owner/cloudimages/${image.id}/members/p-member`).set(OWNER);
    assert.equal(one.status, 200);
    assert.equal(one.body.member_id, 'p-member');
    assert.equal(one.body.member_type, 'project');
    const missing = await t.request.get(`/v1/p-owner/cloudimages/${image.id}/members/p-nobody`).set(OWNER);
    assert.equal(missing.status, 404);
    assert.ok(typeof missing.body.error.code === 'string');
  });

  it('other /v1 paths keep the version document', async () => {
    assert.equal((await t.request.get('/v1/images')).status, 300);
  });
});
