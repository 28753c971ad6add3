/**
 * Image data on the local filesystem, one file per image id. Uploads stream through md5 and
 * sha512 into a temporary file in the same directory and are renamed into place only when
 * complete, so a reader never sees a partial file and a failed upload leaves nothing behind.
 * Nothing is ever held in memory beyond the stream's own buffers.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Raised (and the temporary file removed) when the data grows past the size limit. */
export class ImageDataTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`image data exceeds ${limit} bytes`);
  }
}

export interface WrittenImageData {
  size: number;
  md5: string;
  sha512: string;
  /** The first bytes of the data (up to 512), for format inspection. */
  head: Buffer;
}

export interface ImageFileStore {
  /** Streams `data` into the image's file. Rejects with ImageDataTooLargeError past `maxBytes`. */
  write(imageId: string, data: Readable, maxBytes: number): Promise<WrittenImageData>;
  /** The image's data, or undefined when there is none. */
  open(imageId: string): Promise<{ stream: Readable; size: number } | undefined>;
  /** Removes the image's data; no error if there is none. */
  remove(imageId: string): Promise<void>;
}

const HEAD_BYTES = 512;

/** Counts, hashes and bounds the bytes that pass through, unchanged. */
class HashingLimiter extends Transform {
  readonly md5 = createHash('md5');
  readonly sha512 = createHash('sha512');
  size = 0;
  private readonly headChunks: Buffer[] = [];
  private headLength = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  get head(): Buffer {
    return Buffer.concat(this.headChunks).subarray(0, HEAD_BYTES);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      callback(new ImageDataTooLargeError(this.maxBytes));
      return;
    }
    if (this.headLength < HEAD_BYTES) {
      this.headChunks.push(chunk.subarray(0, HEAD_BYTES - this.headLength));
      this.headLength += Math.min(chunk.length, HEAD_BYTES - this.headLength);
    }
    this.md5.update(chunk);
    this.sha512.update(chunk);
    callback(null, chunk);
  }
}

/** UUIDs (every id the API creates) name their file directly; anything else is hex-encoded, so no id can name another path. */
function safeName(imageId: string): string {
  return /^[0-9a-fA-F-]{36}$/.test(imageId) ? imageId.toLowerCase() : `x${Buffer.from(imageId, 'utf8').toString('hex')}`;
}

export function createImageFileStore(dir: string): ImageFileStore {
  const pathOf = (imageId: string): string => join(dir, safeName(imageId));
  let ready: Promise<unknown> | undefined;
  const ensureDir = (): Promise<unknown> => (ready ??= mkdir(dir, { recursive: true }));

  return {
    async write(imageId, data, maxBytes) {
      await ensureDir();
      const temporary = join(dir, `.${safeName(imageId)}.${randomUUID()}.part`);
      const limiter = new HashingLimiter(maxBytes);
      try {
        await pipeline(data, limiter, createWriteStream(temporary, { flags: 'wx' }));
        await rename(temporary, pathOf(imageId));
      } catch (error) {
        await unlink(temporary).catch(() => undefined);
        throw error;
      }
      return { size: limiter.size, md5: limiter.md5.digest('hex'), sha512: limiter.sha512.digest('hex'), head: limiter.head };
    },

    async open(imageId) {
      try {
        // Size and stream come from one open file, so a concurrent delete cannot split them.
        const handle = await open(pathOf(imageId), 'r');
        try {
          const { size } = await handle.stat();
          return { stream: handle.createReadStream(), size };
        } catch (error) {
          await handle.close();
          throw error;
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },

    async remove(imageId) {
      await unlink(pathOf(imageId)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    },
  };
}
