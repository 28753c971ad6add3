/** Helpers of the batch API suites (test/api/batch-*.test.ts): polling a job as Terraform does. */
import assert from 'node:assert/strict';
import type { TestApp } from './build-app.ts';

export interface JobBody {
  job_id: string;
  job_type: string;
  begin_time: string;
  end_time: string | null;
  status: string;
  error_code: string | null;
  fail_reason: string | null;
  entities: { results: Array<Record<string, unknown>> };
}

/** Polls `GET /v1/{project}/jobs/{id}` until the job leaves INIT/RUNNING (every answer must be 200). */
export async function pollJob(t: TestApp, headers: Record<string, string>, jobId: string): Promise<JobBody> {
  const project = headers['X-Project-Id']!;
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await t.request.get(`/v1/${project}/jobs/${jobId}`).set(headers);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const job = res.body as JobBody;
    if (job.status !== 'INIT' && job.status !== 'RUNNING') return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`job ${jobId} did not finish`);
}

/** A batch call answered 200 with a job id, then the finished job. */
export async function runBatch(
  t: TestApp,
  method: 'post' | 'put' | 'delete',
  headers: Record<string, string>,
  body: unknown,
): Promise<JobBody> {
  const res = await t.request[method]('/v1/cloudimages/members')
    .set(headers)
    .send(body as object);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(String(res.body.job_id), /^[0-9a-f]{32}$/);
  return pollJob(t, headers, res.body.job_id as string);
}
