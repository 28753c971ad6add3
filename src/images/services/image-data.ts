/**
 * Image data: `PUT /v2/images/{id}/file` and `GET …/file` (glance/api/v2/image_data.py).
 *
 * An upload moves the image queued → saving with a compare-and-set (so two uploads cannot both
 * start), streams the body through the file store, then saving → active with size and hashes.
 * Any failure — too large, client gone, disk full — puts the image back to queued, and the file
 * store has already removed its temporary file. Only a crash of the process itself can leave an
 * image in `saving`; upload-recovery.ts brings such images back (see there).
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

/** What `GET /v2/images/{id}/file` sends. */
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
  /** See upload-recovery.ts: an upload in progress refreshes its lease well within this. */
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

const now = (deps: DataDeps): string => deps.clock.now().toISOString();
const transitionRefused = (from: string): ConflictError =>
  new ConflictError(`Image status transition from ${from} to saving is not allowed`);

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

/** queued → saving with a compare-and-set, so that two uploads cannot both start. */
async function startSaving(deps: DataDeps, image: Image, imageId: string): Promise<void> {
  if (await deps.store.transition(image.id, ['queued'], 'saving', now(deps))) return;
  const current = await deps.store.findById(image.id);
  throw current === undefined ? new NotFoundError(`No image found with ID ${imageId}`) : transitionRefused(current.status);
}

/**
 * Streams the data into the image's file under the upload's lease: while it streams in,
 * `updated_at` moves every quarter of the saving timeout, so that no instance takes this upload
 * for an interrupted one. On failure the image goes back to queued.
 */
async function writeUnderLease(deps: DataDeps, image: Image, data: Readable): Promise<WrittenImageData> {
  const leaseMs = ((deps.savingTimeoutSeconds ?? DEFAULT_SAVING_TIMEOUT_SECONDS) * 1000) / 4;
  const lease = setInterval(() => {
    deps.store.transition(image.id, ['saving'], 'saving', now(deps)).catch(() => undefined);
  }, leaseMs);
  try {
    return await deps.files.write(image.id, data, deps.maxUploadBytes);
  } catch (error) {
    await deps.store.transition(image.id, ['saving'], 'queued', now(deps));
    throw uploadError(error, data);
  } finally {
    clearInterval(lease);
  }
}

/** saving → active with size and hashes; 410 (and the data removed) when the image went meanwhile. */
async function activate(deps: DataDeps, image: Image, imageId: string, written: WrittenImageData): Promise<void> {
  const activated = await deps.store.transition(image.id, ['saving'], 'active', now(deps), {
    size: written.size,
    virtualSize: virtualSizeOf(image, written),
    checksum: written.md5,
    osHashAlgo: 'sha512',
    osHashValue: written.sha512,
  });
  if (!activated) {
    await deps.files.remove(image.id);
    throw new ApiError(
      410,
      `Image ${imageId} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.`,
    );
  }
}

/** `PUT /v2/images/{id}/file`. */
async function upload(deps: DataDeps, caller: Caller, imageId: string, data: Readable, declaredLength: number | undefined): Promise<void> {
  const image = await deps.visibleOr404(caller, imageId);
  deps.policy.enforceOwner(caller, image, 'upload_image', `Not allowed to upload image data for image ${imageId}`);
  if (declaredLength !== undefined && declaredLength > deps.maxUploadBytes) throw new RequestEntityTooLargeError(TOO_LARGE_TEXT);
  if (image.status !== 'queued') throw transitionRefused(image.status);
  checkFormatsSet(image);
  await startSaving(deps, image, imageId);
  const written = await writeUnderLease(deps, image, data);
  await activate(deps, image, imageId, written);
}

/** `GET /v2/images/{id}/file`. */
async function download(deps: DataDeps, caller: Caller, imageId: string): Promise<ImageDownload> {
  const image = await deps.visibleOr404(caller, imageId);
  if (image.status === 'deactivated' && !caller.isAdmin) {
    throw new ForbiddenError('The requested image has been deactivated. Image data download is forbidden.');
  }
  deps.policy.enforceDownload(caller);
  if (image.status !== 'active') return { image, data: undefined };
  return { image, data: await deps.files.open(image.id) };
}

/** The image service's data operations over `deps`. */
export function createImageDataOperations(deps: DataDeps): {
  upload(caller: Caller, imageId: string, data: Readable, declaredLength: number | undefined): Promise<void>;
  download(caller: Caller, imageId: string): Promise<ImageDownload>;
} {
  return {
    upload: (caller, imageId, data, declaredLength) => upload(deps, caller, imageId, data, declaredLength),
    download: (caller, imageId) => download(deps, caller, imageId),
  };
}
