/**
 * Batch jobs a crash interrupted, finished by whichever instance notices first: at start, then
 * every half lease. As with uploads (images/services/upload-recovery.ts), a job in INIT or
 * RUNNING may belong to a live instance; the rule that tells them apart is a lease on
 * `updated_at`, which a running job refreshes after every group of pairs. A job whose lease is
 * older than LEASE_SECONDS has no live runner: an instance claims it (a compare-and-set on the
 * stale `updated_at`, so only one does) and runs it again from its first pair. Every pair is
 * idempotent towards the state it asks for (a re-add is `already_member`, a re-remove
 * `not_member`, both successes), so a re-run finishes the job with the right verdict; a job
 * whose request cannot be read is marked FAIL. No job is left INIT or RUNNING for good.
 */
import type { Clock } from '../../base/clock.ts';
import type { JobStore } from '../store/job-store.ts';
import type { BatchLogger, BatchService } from './batch-service.ts';

/** How long a running job's lease lasts without a refresh. */
export const LEASE_SECONDS = 60;

export interface JobRecoveryDeps {
  jobs: JobStore;
  batch: BatchService;
  clock: Clock;
  logger: BatchLogger;
}

export interface JobRecovery {
  /** Runs a first sweep (resolving when the jobs it took over are done, even if it failed), then one every half lease. */
  start(): Promise<void>;
  /** Stops the schedule; jobs in progress are stopped by the batch service's own stop. */
  stop(): void;
}

/** Claims and runs every job whose lease ran out; resolves when they are done. */
export async function recoverInterruptedJobs(deps: JobRecoveryDeps): Promise<string[]> {
  const now = deps.clock.now();
  const staleBefore = new Date(now.getTime() - LEASE_SECONDS * 1000).toISOString();
  const taken: string[] = [];
  const runs: Array<Promise<void>> = [];
  for (const job of await deps.jobs.listStale(staleBefore)) {
    if (deps.batch.isRunning(job.id)) continue;
    const at = now.toISOString();
    if (!(await deps.jobs.claim(job.id, job.updatedAt, at))) continue;
    taken.push(job.id);
    runs.push(deps.batch.resume({ ...job, status: 'RUNNING', updatedAt: at }));
  }
  await Promise.all(runs);
  return taken;
}

export function createJobRecovery(deps: JobRecoveryDeps): JobRecovery {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const sweep = async (): Promise<void> => {
    try {
      const taken = await recoverInterruptedJobs(deps);
      if (taken.length > 0) deps.logger.warn({ jobs: taken }, 'finished batch jobs an interrupted instance left');
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not recover interrupted batch jobs; trying again later');
    }
  };
  return {
    async start() {
      stopped = false;
      await sweep();
      if (stopped || timer !== undefined) return;
      timer = setInterval(() => void sweep(), (LEASE_SECONDS * 1000) / 2);
      timer.unref();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
    },
  };
}
