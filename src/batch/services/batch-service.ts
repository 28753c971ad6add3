/**
 * Batch sharing jobs (IMS v1): a batch call becomes a job row (readable by any instance the moment
 * its id is returned), then runs its image × project pairs through the member service
 * (pair-outcomes.ts) and records each pair's result and the job's verdict. Jobs a crash left
 * INIT or RUNNING are taken over once their lease runs out (job-recovery.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../base/clock.ts';
import type { Caller } from '../../base/domain.ts';
import { ImsError } from '../../base/errors.ts';
import type { MemberService } from '../../members/services/member-service.ts';
import type { JobRecord, JobStore } from '../store/job-store.ts';

export type { JobRecord } from '../store/job-store.ts';
import { runPair, verdict, type BatchKind, type PairResult } from './pair-outcomes.ts';

/** A validated batch call: what the job runs (and what a recovering instance re-runs). */
export interface BatchJobRequest {
  kind: BatchKind;
  images: string[];
  projects: string[];
  /** update only: the status the recipient sets. */
  status?: 'accepted' | 'rejected';
}

export const JOB_TYPES: Readonly<Record<BatchKind, string>> = {
  add: 'imsAddImageMembersJob',
  remove: 'imsDelImageMembersJob',
  update: 'imsUpdateImageMembersJob',
};

/** The one logger call the room makes (pino's `warn(details, message)`). */
export interface BatchLogger {
  warn(details: object, message: string): void;
}

export interface BatchServiceDeps {
  jobs: JobStore;
  members: MemberService;
  clock: Clock;
  logger: BatchLogger;
}

/**
 * Images run side by side, this many at a time; the projects of one image run one after the other,
 * in the order listed (so that, under a member limit, the first listed projects are the ones
 * added). Progress, and with it the job's lease, is saved after each group of images.
 */
const IMAGES_AT_ONCE = 8;
/** How long a repeated Idempotency-Key returns the first job. */
export const IDEMPOTENCY_SECONDS = 24 * 60 * 60;

export interface BatchService {
  /** Records the job and starts it; with an Idempotency-Key already used by the project, the first job. */
  submit(caller: Caller, request: BatchJobRequest, idempotencyKey?: string): Promise<JobRecord>;
  /** The caller's job, else 404 (a job of another project is not revealed). */
  job(caller: Caller, jobId: string): Promise<JobRecord>;
  /** The caller's job once finished, or as it stands after `waitMs`. */
  waitFor(caller: Caller, jobId: string, waitMs: number): Promise<JobRecord>;
  /** Runs a job this instance took over (job-recovery.ts); resolves when it is done. */
  resume(job: JobRecord): Promise<void>;
  /** Lets running jobs finish their current group of pairs, then resolves; they stay resumable. */
  stop(): Promise<void>;
  /** True while this instance is running the job. */
  isRunning(jobId: string): boolean;
}

export function isBatchJobRequest(value: unknown): value is BatchJobRequest {
  const request = value as Partial<BatchJobRequest> | null;
  return (
    typeof request === 'object' &&
    request !== null &&
    (request.kind === 'add' || request.kind === 'remove' || request.kind === 'update') &&
    Array.isArray(request.images) &&
    Array.isArray(request.projects)
  );
}

const jobNotFound = (jobId: string): ImsError => new ImsError(404, 'IMG.0086', `No job ${jobId} was found for this project.`);

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

async function failJob(deps: BatchServiceDeps, job: JobRecord, reason: string): Promise<void> {
  const at = deps.clock.now().toISOString();
  await deps.jobs.update(job.id, { status: 'FAIL', results: [], errorCode: 'IMG.0112', failReason: reason, endTime: at, updatedAt: at });
}

/** Runs every pair of the job, saving progress (and so the lease) after each group, then the verdict. */
async function executeJob(deps: BatchServiceDeps, job: JobRecord, isStopped: () => boolean): Promise<void> {
  const { jobs } = deps;
  const now = (): string => deps.clock.now().toISOString();
  const request = job.request;
  if (!isBatchJobRequest(request)) return failJob(deps, job, 'The job was interrupted and its request cannot be resumed.');
  const caller = job.caller as Caller;
  const status = request.status;
  const runImage = async (imageId: string): Promise<PairResult[]> => {
    const done: PairResult[] = [];
    for (const projectId of request.projects) done.push(await runPair(deps.members, caller, request.kind, { imageId, projectId, status }));
    return done;
  };
  await jobs.update(job.id, { status: 'RUNNING', results: [], updatedAt: now() });
  const results: PairResult[] = [];
  for (let i = 0; i < request.images.length; i += IMAGES_AT_ONCE) {
    // Stopping leaves the job RUNNING: its lease runs out and an instance (this one restarted) finishes it.
    if (isStopped()) return;
    const group = request.images.slice(i, i + IMAGES_AT_ONCE);
    for (const done of await Promise.all(group.map(runImage))) results.push(...done);
    if (i + IMAGES_AT_ONCE < request.images.length) await jobs.update(job.id, { status: 'RUNNING', results, updatedAt: now() });
  }
  const { status: final, errorCode, failReason } = verdict(request.kind, results);
  const at = now();
  await jobs.update(job.id, { status: final, results, errorCode, failReason, endTime: at, updatedAt: at });
}

export function createBatchService(deps: BatchServiceDeps): BatchService {
  const { jobs, clock, logger } = deps;
  const running = new Map<string, Promise<void>>();
  let stopped = false;
  const now = (): string => clock.now().toISOString();

  function launch(job: JobRecord): Promise<void> {
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => executeJob(deps, job, () => stopped))
      .catch((error: unknown) => logger.warn({ err: error, job: job.id }, 'batch job failed to run; it is resumed when its lease runs out'))
      .finally(() => running.delete(job.id));
    running.set(job.id, run);
    return run;
  }

  async function ownJob(caller: Caller, jobId: string): Promise<JobRecord> {
    const job = /^[0-9a-f]{32}$/.test(jobId) ? await jobs.get(jobId) : undefined;
    if (job === undefined || job.projectId !== caller.projectId) throw jobNotFound(jobId);
    return job;
  }

  return {
    async submit(caller, request, idempotencyKey) {
      const at = now();
      const key = idempotencyKey ?? null;
      if (key !== null) {
        const expired = new Date(clock.now().getTime() - IDEMPOTENCY_SECONDS * 1000).toISOString();
        await jobs.releaseKey(caller.projectId, key, expired);
      }
      const { job, created } = await jobs.insert({
        ...{ id: randomBytes(16).toString('hex'), projectId: caller.projectId, jobType: JOB_TYPES[request.kind], status: 'INIT' },
        ...{ caller, request, results: [], errorCode: null, failReason: null, idempotencyKey: key },
        ...{ beginTime: at, endTime: null, updatedAt: at },
      });
      if (created && !stopped) void launch(job);
      return job;
    },
    job: ownJob,
    async waitFor(caller, jobId, waitMs) {
      const deadline = Date.now() + waitMs;
      let job = await ownJob(caller, jobId);
      while ((job.status === 'INIT' || job.status === 'RUNNING') && Date.now() < deadline) {
        const left = deadline - Date.now();
        const run = running.get(jobId);
        // Run here: wait for it; run elsewhere (another instance): poll the row.
        await (run === undefined ? delay(Math.min(200, left)) : Promise.race([run, delay(left)]));
        job = await ownJob(caller, jobId);
      }
      return job;
    },
    resume: (job) => (running.has(job.id) || stopped ? Promise.resolve() : launch(job)),
    async stop() {
      stopped = true;
      await Promise.allSettled([...running.values()]);
    },
    isRunning: (jobId) => running.has(jobId),
  };
}
