/**
 * Image data: `PUT /v2/images/{id}/file` and `GET …/file` (glance/api/v2/image_data.py).
 *
 * An upload moves the image queued → saving with a compare-and-set (so two uploads cannot both
 * start), streams the body through the file store, then saving → active with size and hashes.
 * Any failure — too large, client gone, disk full — puts the image back to queued, and the file
 * store has already removed its temporary file. Only a crash of the process itself can leave an
 * image in `saving`; `recoverInterruptedUploads` brings such images back (see there).
 */
import type { Readable } from 'node:stream';
import type { Clock } from '../../base/clock.ts';
import {
  ApiError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RequestEntityTooLargeError,
  ServiceUnavailableError,
} from '../../base/errors.ts';
import {
  ImageDataTooLargeError,
  ImageStorageFullError,
  ImageStorageWriteDeniedError,
  type ImageFileStore,
  type WrittenImageData,
} from '../store/image-files.ts';
import type { ImageStore } from '../store/image-store.ts';
import type { ImagePolicy } from './image-policy.ts';
import type { Caller, Image } from '../../base/domain.ts';

export interface ImageDownload {
  image: Image;
  /** Undefined when the image has no data (Glance answers 204). */
  data: { stream: Readable; size: number } | undefined;
}

interface DataDeps {
  store: ImageStore;
  files: ImageFileStore;
  clock: Clock;
  policy: ImagePolicy;
  maxUploadBytes: number;
  /** See `recoverInterruptedUploads`: an upload in progress refreshes its lease well within this. */
  savingTimeoutSeconds?: number;
  visibleOr404(caller: Caller, imageId: string): Promise<Image>;
}

/** Default of images.savingTimeoutSeconds. */
export const DEFAULT_SAVING_TIMEOUT_SECONDS = 60;

const TOO_LARGE_TEXT = 'The incoming image is too large: The provided image is too large.';

/** Glance's domain rule: both formats must be known before data is saved. */
function checkFormatsSet(image: Image): void {
  const missing = [
    ['disk_format', image.diskFormat],
    ['container_format', image.containerFormat],
  ]
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length === 1) throw new BadRequestError(`Property ${missing[0]} must be set prior to saving data.`);
  if (missing.length > 1) throw new BadRequestError(`Properties ${missing.join(', ')} must be set prior to saving data.`);
}

/**
 * What Glance's format inspector computes while data streams in, for the formats it can read
 * from the first bytes: raw is its own size, qcow2 carries it in its header. Other formats are
 * left without a virtual size.
 */
function virtualSizeOf(image: Image, written: WrittenImageData): number | null {
  if (image.containerFormat !== 'bare') return null;
  if (image.diskFormat === 'raw') return written.size;
  if (image.diskFormat === 'qcow2' && written.head.length >= 32 && written.head.readUInt32BE(0) === 0x514649fb) {
    const size = written.head.readBigUInt64BE(24);
    return size <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(size) : null;
  }
  return null;
}

export function createImageDataOperations(deps: DataDeps): {
  upload(caller: Caller, imageId: string, data: Readable, declaredLength: number | undefined): Promise<void>;
  download(caller: Caller, imageId: string): Promise<ImageDownload>;
} {
  const { store, files, clock, policy, maxUploadBytes } = deps;
  const now = (): string => clock.now().toISOString();
  const transitionRefused = (from: string): ConflictError =>
    new ConflictError(`Image status transition from ${from} to saving is not allowed`);

  const leaseMs = ((deps.savingTimeoutSeconds ?? DEFAULT_SAVING_TIMEOUT_SECONDS) * 1000) / 4;

  /** Maps a failed write to Glance's answer (image_data.py); the source's own failure is the client's doing. */
  function uploadError(error: unknown, data: Readable): unknown {
    if (error instanceof ImageDataTooLargeError) return new RequestEntityTooLargeError(TOO_LARGE_TEXT);
    if (error instanceof ImageStorageFullError) return new RequestEntityTooLargeError(`Image storage media is full: ${error.message}`);
    if (error instanceof ImageStorageWriteDeniedError) {
      return new ServiceUnavailableError(`Insufficient permissions on image storage media: ${error.message}`, { cause: error });
    }
    if (data.destroyed && !data.readableEnded) return new BadRequestError('The request body was not completely received.');
    return error;
  }

  return {
    async upload(caller, imageId, data, declaredLength) {
      const image = await deps.visibleOr404(caller, imageId);
      policy.enforceOwner(caller, image, 'upload_image', `Not allowed to upload image data for image ${imageId}`);
      if (declaredLength !== undefined && declaredLength > maxUploadBytes) throw new RequestEntityTooLargeError(TOO_LARGE_TEXT);
      if (image.status !== 'queued') throw transitionRefused(image.status);
      checkFormatsSet(image);
      if (!(await store.transition(image.id, ['queued'], 'saving', now()))) {
        const current = await store.findById(image.id);
        throw current === undefined ? new NotFoundError(`No image found with ID ${imageId}`) : transitionRefused(current.status);
      }

      // The upload's lease: while the data streams in, `updated_at` moves every quarter of the
      // saving timeout, so that no instance takes this upload for an interrupted one.
      const lease = setInterval(() => {
        store.transition(image.id, ['saving'], 'saving', now()).catch(() => undefined);
      }, leaseMs);
      let written: WrittenImageData;
      try {
        written = await files.write(image.id, data, maxUploadBytes);
      } catch (error) {
        await store.transition(image.id, ['saving'], 'queued', now());
        throw uploadError(error, data);
      } finally {
        clearInterval(lease);
      }
      const activated = await store.transition(image.id, ['saving'], 'active', now(), {
        size: written.size,
        virtualSize: virtualSizeOf(image, written),
        checksum: written.md5,
        osHashAlgo: 'sha512',
        osHashValue: written.sha512,
      });
      if (!activated) {
        await files.remove(image.id);
        throw new ApiError(
          410,
          `Image ${imageId} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.`,
        );
      }
    },

    async download(caller, imageId) {
      const image = await deps.visibleOr404(caller, imageId);
      if (image.status === 'deactivated' && !caller.isAdmin) {
        throw new ForbiddenError('The requested image has been deactivated. Image data download is forbidden.');
      }
      policy.enforceDownload(caller);
      if (image.status !== 'active') return { image, data: undefined };
      return { image, data: await files.open(image.id) };
    },
  };
}

export interface UploadRecoveryDeps {
  store: ImageStore;
  files: ImageFileStore;
  clock: Clock;
  savingTimeoutSeconds: number;
}

export interface UploadRecovery {
  /** Images put back from `saving` to `queued`. */
  reset: string[];
  /** Temporary files removed. */
  removedFiles: number;
}

/**
 * Brings back what a crash mid-upload leaves: images in `saving` go back to `queued` (Glance's
 * own answer to a failed upload) and temporary files are removed. Run at start and then
 * periodically (server.ts).
 *
 * Several instances share the database (and on PostgreSQL the store directory), so an image in
 * `saving` may be an upload that another, live instance is streaming right now. The rule that
 * tells them apart is a lease on `updated_at`: an upload in progress refreshes it every quarter
 * of `savingTimeoutSeconds` (see `upload`), so an image whose `updated_at` is older than the
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
export async function recoverInterruptedUploads(deps: UploadRecoveryDeps): Promise<UploadRecovery> {
  const now = deps.clock.now();
  const staleBefore = new Date(now.getTime() - deps.savingTimeoutSeconds * 1000).toISOString();
  const reset = await deps.store.resetStaleUploads(staleBefore, now.toISOString());
  const removedFiles = await deps.files.removeLeftovers(() => deps.store.listIdsInStatus('saving'));
  return { reset, removedFiles };
}
