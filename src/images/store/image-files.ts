/**
 * Image data on the local filesystem, one file per image id. Uploads stream through md5 and
 * sha512 into a temporary file in the same directory and are renamed into place only when
 * complete, so a reader never sees a partial file and a failed upload leaves nothing behind.
 * Nothing is ever held in memory beyond the stream's own buffers.
 *
 * Durability: the temporary file is fsynced before the rename and the directory after it, so
 * once `write` resolves (and the caller then marks the image active) the data survives a power
 * loss too, not only a crash of the process.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, finished, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Raised (and the temporary file removed) when the data grows past the size limit. */
export class ImageDataTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`image data exceeds ${limit} bytes`);
  }
}

/** The store's filesystem is full (ENOSPC, EDQUOT, EFBIG): glance_store's StorageFull. */
export class ImageStorageFullError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('There is not enough disk space on the image storage media.', options);
  }
}

/** The store's filesystem refuses the write (EACCES, EPERM, EROFS): glance_store's StorageWriteDenied. */
export class ImageStorageWriteDeniedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('Permission to write image storage media denied.', options);
  }
}

const STORAGE_FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const WRITE_DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Filesystem errors the API names (as glance_store's filesystem driver does); others pass through. */
function storageError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && STORAGE_FULL.has(code)) return new ImageStorageFullError({ cause: error });
  if (code !== undefined && WRITE_DENIED.has(code)) return new ImageStorageWriteDeniedError({ cause: error });
  return error;
}

/** What a completed write learned about the data. */
export interface WrittenImageData {
  size: number;
  md5: string;
  sha512: string;
  /** The first bytes of the data (up to 512), for format inspection. */
  head: Buffer;
}

/** Image data, one file per image. */
export interface ImageFileStore {
  /** Streams `data` into the image's file. Rejects with ImageDataTooLargeError past `maxBytes`. */
  write(imageId: string, data: Readable, maxBytes: number): Promise<WrittenImageData>;
  /** The image's data, or undefined when there is none. */
  open(imageId: string): Promise<{ stream: Readable; size: number } | undefined>;
  /** Removes the image's data; no error if there is none. */
  remove(imageId: string): Promise<void>;
  /**
   * Removes the temporary files of interrupted uploads (a crash mid-upload leaves them behind),
   * keeping those of the images `inProgress` names: it is called only after the directory has
   * been listed, so an upload that started before the listing is already among them. Returns
   * how many files were removed.
   */
  removeLeftovers(inProgress: () => Promise<readonly string[]>): Promise<number>;
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

/** A temporary file: `.<safe name>.<uuid>.part`; the first group is its image's safe name. */
const TEMPORARY = /^\.([0-9a-fx-]+)\.[0-9a-f-]{36}\.part$/;

/**
 * Copies `data` through `limiter` into `file` without ever destroying `data`: when the store
 * fails (disk full, too large) the request must stay open so that the error can still be
 * answered on it. `data` failing or closing early (the client went away) fails the copy.
 */
async function copy(data: Readable, limiter: HashingLimiter, file: Writable): Promise<void> {
  const done = pipeline(limiter, file);
  const stopWatching = finished(data, { writable: false }, (error) => {
    if (error) limiter.destroy(error);
  });
  data.pipe(limiter);
  try {
    await done;
  } finally {
    stopWatching();
    data.unpipe(limiter);
  }
}

/** `dir`'s temporary files, each with the safe name of its image; none when `dir` does not exist. */
async function listTemporaries(dir: string): Promise<Array<{ name: string; image: string }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.flatMap((name) => {
    const match = TEMPORARY.exec(name);
    return match === null ? [] : [{ name, image: match[1]! }];
  });
}

/** Removes a file; false when it was already gone. */
async function unlinkIfPresent(path: string): Promise<boolean> {
  return unlink(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      return false;
    },
  );
}

/** Image data as files in one directory, created on first write. */
export class LocalImageFileStore implements ImageFileStore {
  private ready: Promise<unknown> | undefined;

  constructor(private readonly dir: string) {}

  private pathOf(imageId: string): string {
    return join(this.dir, safeName(imageId));
  }

  /** Creates the directory once; a failure is retried by the next write. */
  private ensureDir(): Promise<unknown> {
    return (this.ready ??= mkdir(this.dir, { recursive: true }).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    }));
  }

  async write(imageId: string, data: Readable, maxBytes: number): Promise<WrittenImageData> {
    const temporary = join(this.dir, `.${safeName(imageId)}.${randomUUID()}.part`);
    const limiter = new HashingLimiter(maxBytes);
    try {
      await this.ensureDir();
      // `flush`: fsync before close, so the data is on disk before the rename makes it visible.
      await copy(data, limiter, createWriteStream(temporary, { flags: 'wx', flush: true }));
      await rename(temporary, this.pathOf(imageId));
      await syncDirectory(this.dir);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw storageError(error);
    }
    return { size: limiter.size, md5: limiter.md5.digest('hex'), sha512: limiter.sha512.digest('hex'), head: limiter.head };
  }

  async open(imageId: string): Promise<{ stream: Readable; size: number } | undefined> {
    try {
      // Size and stream come from one open file, so a concurrent delete cannot split them.
      const handle = await open(this.pathOf(imageId), 'r');
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
  }

  async remove(imageId: string): Promise<void> {
    await unlinkIfPresent(this.pathOf(imageId));
  }

  async removeLeftovers(inProgress: () => Promise<readonly string[]>): Promise<number> {
    const temporaries = await listTemporaries(this.dir);
    if (temporaries.length === 0) return 0;
    const keep = new Set((await inProgress()).map(safeName));
    let removed = 0;
    for (const { name, image } of temporaries) {
      if (!keep.has(image) && (await unlinkIfPresent(join(this.dir, name)))) removed += 1;
    }
    return removed;
  }
}

/** The image file store over `dir`. */
export function createImageFileStore(dir: string): ImageFileStore {
  return new LocalImageFileStore(dir);
}

/** fsync of a directory, so that a rename in it survives a power loss. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
