/**
 * Recovery of uploads a crash interrupted: the sweep (`recoverInterruptedUploads`) and its
 * schedule (`createUploadRecovery`: once at start, then every half saving timeout). The upload
 * side of the same rule — the lease an upload in progress keeps — is in image-data.ts.
 */
import type { Clock } from '../../base/clock.ts';
import type { ImageFileStore } from '../store/image-files.ts';
import type { ImageStore } from '../store/image-store.ts';

/** What one sweep needs. */
export interface RecoverUploadsDeps {
  store: ImageStore;
  files: ImageFileStore;
  clock: Clock;
  savingTimeoutSeconds: number;
}

/** What one sweep did. */
export interface RecoveredUploads {
  /** Images put back from `saving` to `queued`. */
  reset: string[];
  /** Temporary files removed. */
  removedFiles: number;
}

/**
 * Brings back what a crash mid-upload leaves: images in `saving` go back to `queued` (Glance's
 * own answer to a failed upload) and temporary files are removed. Run at start and then
 * periodically (createUploadRecovery).
 *
 * Several instances share the database (and on PostgreSQL the store directory), so an image in
 * `saving` may be an upload that another, live instance is streaming right now. The rule that
 * tells them apart is a lease on `updated_at`: an upload in progress refreshes it every quarter
 * of `savingTimeoutSeconds` (see image-data.ts), so an image whose `updated_at` is older than the
 * timeout has no live owner, whichever instance started it. Tracking the owning process instead
 * would need a registry of live instances, which needs the same kind of heartbeat anyway. The
 * cost: after a crash the image stays in `saving` (uploads answer 409) for up to the timeout
 * plus one sweep interval. The reset is a compare-and-set on the stale `updated_at`, so an upload
 * whose lease is refreshed meanwhile is left alone.
 *
 * Temporary files are removed unless their image is (still) in `saving`: the directory is listed
 * before the database is asked, and an upload creates its file only after its image went to
 * `saving`, so a file of an upload in progress is never taken for a leftover.
 */
export async function recoverInterruptedUploads(deps: RecoverUploadsDeps): Promise<RecoveredUploads> {
  const now = deps.clock.now();
  const staleBefore = new Date(now.getTime() - deps.savingTimeoutSeconds * 1000).toISOString();
  const reset = await deps.store.resetStaleUploads(staleBefore, now.toISOString());
  const removedFiles = await deps.files.removeLeftovers(() => deps.store.listIdsInStatus('saving'));
  return { reset, removedFiles };
}

/** The one logger call recovery makes (pino's `warn(details, message)`). */
export interface RecoveryLogger {
  warn(details: object, message: string): void;
}

/** What the scheduled recovery needs: a sweep's needs and a logger. */
export interface UploadRecoveryDeps extends RecoverUploadsDeps {
  /** Where sweeps that recovered something, or failed, are reported. */
  logger: RecoveryLogger;
}

/** The sweep on its schedule, for the lifetime of the service. */
export interface UploadRecovery {
  /** Runs a first sweep (resolving when it is done, even if it failed), then one every half saving timeout. */
  start(): Promise<void>;
  /** Stops the schedule; a sweep in progress finishes on its own. */
  stop(): void;
}

/**
 * Uploads a crash interrupted, recovered on whichever instance notices first: at start (temporary
 * files of images no longer in `saving`), then every half timeout (images whose upload lease ran
 * out). A failed sweep is logged and tried again at the next one; the timer never keeps the
 * process alive.
 */
export function createUploadRecovery(deps: UploadRecoveryDeps): UploadRecovery {
  const { logger } = deps;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const sweep = async (): Promise<void> => {
    try {
      const { reset, removedFiles } = await recoverInterruptedUploads(deps);
      if (reset.length > 0 || removedFiles > 0) logger.warn({ reset, removedFiles }, 'recovered interrupted uploads');
    } catch (error) {
      logger.warn({ err: error }, 'could not recover interrupted uploads; trying again later');
    }
  };
  return {
    async start() {
      stopped = false;
      await sweep();
      // stop() may have come while the first sweep ran.
      if (stopped || timer !== undefined) return;
      timer = setInterval(() => void sweep(), (deps.savingTimeoutSeconds * 1000) / 2);
      timer.unref();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
    },
  };
}
