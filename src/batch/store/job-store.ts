/**
 * The `batch_jobs` table (migration 0004): batch jobs with the request they run, their per-pair
 * results and the Idempotency-Key, readable by any instance. JSON columns are text on both engines.
 */
import type { Knex } from 'knex';
import { isUniqueViolation } from '../../store/sql-errors.ts';

export type JobStatus = 'INIT' | 'RUNNING' | 'SUCCESS' | 'FAIL';

/** A job row as the service sees it; `caller`, `request` and `results` are parsed JSON. */
export interface JobRecord {
  id: string;
  projectId: string;
  jobType: string;
  status: JobStatus;
  caller: unknown;
  request: unknown;
  results: unknown[];
  errorCode: string | null;
  failReason: string | null;
  idempotencyKey: string | null;
  beginTime: string;
  endTime: string | null;
  updatedAt: string;
}

/** What a finished (or progressing) job writes. */
export interface JobProgress {
  status: JobStatus;
  results: unknown[];
  errorCode?: string | null;
  failReason?: string | null;
  endTime?: string | null;
  updatedAt: string;
}

export interface JobStore {
  /** Inserts the job; on an Idempotency-Key already used by the project, returns that job instead. */
  insert(job: JobRecord): Promise<{ job: JobRecord; created: boolean }>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Frees a key whose job is older than `before`, so that it may name a new job. */
  releaseKey(projectId: string, key: string, before: string): Promise<void>;
  update(id: string, progress: JobProgress): Promise<void>;
  /** Jobs INIT or RUNNING whose lease (`updated_at`) is older than `before`. */
  listStale(before: string): Promise<JobRecord[]>;
  /** Takes over a stale job: true when its lease was still `leaseAt` (nobody else took it). */
  claim(id: string, leaseAt: string, now: string): Promise<boolean>;
}

interface JobRow {
  id: string;
  project_id: string;
  job_type: string;
  status: string;
  caller: string;
  request: string;
  results: string | null;
  error_code: string | null;
  fail_reason: string | null;
  idempotency_key: string | null;
  begin_time: string;
  end_time: string | null;
  updated_at: string;
}

function fromRow(row: JobRow): JobRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    jobType: row.job_type,
    status: row.status as JobStatus,
    caller: JSON.parse(row.caller) as unknown,
    request: JSON.parse(row.request) as unknown,
    results: row.results === null ? [] : (JSON.parse(row.results) as unknown[]),
    errorCode: row.error_code,
    failReason: row.fail_reason,
    idempotencyKey: row.idempotency_key,
    beginTime: row.begin_time,
    endTime: row.end_time,
    updatedAt: row.updated_at,
  };
}

function toRow(job: JobRecord): JobRow {
  return {
    id: job.id,
    project_id: job.projectId,
    job_type: job.jobType,
    status: job.status,
    caller: JSON.stringify(job.caller),
    request: JSON.stringify(job.request),
    results: JSON.stringify(job.results),
    error_code: job.errorCode,
    fail_reason: job.failReason,
    idempotency_key: job.idempotencyKey,
    begin_time: job.beginTime,
    end_time: job.endTime,
    updated_at: job.updatedAt,
  };
}

export function createJobStore(db: Knex): JobStore {
  const table = (): Knex.QueryBuilder => db('batch_jobs');
  const byKey = async (projectId: string, key: string): Promise<JobRecord | undefined> => {
    const row = (await table().where({ project_id: projectId, idempotency_key: key }).first()) as JobRow | undefined;
    return row && fromRow(row);
  };
  return {
    async insert(job) {
      try {
        await table().insert(toRow(job));
        return { job, created: true };
      } catch (error) {
        if (!isUniqueViolation(error) || job.idempotencyKey === null) throw error;
        const first = await byKey(job.projectId, job.idempotencyKey);
        if (first === undefined) throw error;
        return { job: first, created: false };
      }
    },
    async get(id) {
      const row = (await table().where({ id }).first()) as JobRow | undefined;
      return row && fromRow(row);
    },
    async releaseKey(projectId, key, before) {
      await table()
        .where({ project_id: projectId, idempotency_key: key })
        .where('begin_time', '<', before)
        .update({ idempotency_key: null });
    },
    async update(id, progress) {
      const values: Partial<JobRow> = {
        status: progress.status,
        results: JSON.stringify(progress.results),
        updated_at: progress.updatedAt,
      };
      if (progress.errorCode !== undefined) values.error_code = progress.errorCode;
      if (progress.failReason !== undefined) values.fail_reason = progress.failReason;
      if (progress.endTime !== undefined) values.end_time = progress.endTime;
      await table().where({ id }).update(values);
    },
    async listStale(before) {
      const rows = (await table()
        .whereIn('status', ['INIT', 'RUNNING'])
        .where('updated_at', '<', before)
        .orderBy('begin_time')) as JobRow[];
      return rows.map(fromRow);
    },
    async claim(id, leaseAt, now) {
      const changed = await table()
        .where({ id, updated_at: leaseAt })
        .whereIn('status', ['INIT', 'RUNNING'])
        .update({ status: 'RUNNING', updated_at: now });
      return changed > 0;
    },
  };
}
