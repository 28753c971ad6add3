/**
 * Image data: `PUT /v2/images/{id}/file` and `GET …/file` (glance/api/v2/image_data.py).
 *
 * An upload moves the image queued → saving with a compare-and-set (so two uploads cannot both
 * start), streams the body through the file store, then saving → active with size and hashes.
 * Any failure — too large, client gone, disk error — puts the image back to queued, and the file
 * store has already removed its temporary file. Only a crash of the process itself can leave an
 * image in `saving`.
 */
import type { Readable } from 'node:stream';
import type { Clock } from '../clock.ts';
import { ApiError, BadRequestError, ConflictError, ForbiddenError, NotFoundError, RequestEntityTooLargeError } from '../errors.ts';
import { ImageDataTooLargeError, type ImageFileStore, type WrittenImageData } from '../store/image-files.ts';
import type { ImageStore } from '../store/image-store.ts';
import type { ImagePolicy } from './image-policy.ts';
import type { Caller, Image } from './types.ts';

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
  visibleOr404(caller: Caller, imageId: string): Promise<Image>;
}

const TOO_LARGE_TEXT = 'The incoming image is too large: The provided image is too large.';

/** Glance's domain rule: both formats must be known before data is saved. */
function checkFormatsSet(image: Image): void {
  const missing = [['disk_format', image.diskFormat], ['container_format', image.containerFormat]]
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

  /** Maps a failed write to Glance's answer; the source's own failure is the client's doing. */
  function uploadError(error: unknown, data: Readable): unknown {
    if (error instanceof ImageDataTooLargeError) return new RequestEntityTooLargeError(TOO_LARGE_TEXT);
    if (data.destroyed && !data.readableEnded) return new BadRequestError('The request body was not completely received.');
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      return new RequestEntityTooLargeError('Image storage media is full: no space left on the device.');
    }
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

      let written: WrittenImageData;
      try {
        written = await files.write(image.id, data, maxUploadBytes);
      } catch (error) {
        await store.transition(image.id, ['saving'], 'queued', now());
        throw uploadError(error, data);
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
        throw new ApiError(410, `Image ${imageId} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.`);
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
