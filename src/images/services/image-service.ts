/**
 * Images: every rule of Glance's image API that sharing and its clients rely on — who sees what
 * (spec 6.1/6.2), who may change what (legacy and new-defaults policies), the listing scope,
 * defaults and limits — checked in Glance's order so that the first failure is Glance's.
 * Image data (upload/download) lives in image-data.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { NO_AUDIT, type AuditDraft, type AuditLog } from '../../base/audit.ts';
import type { Clock } from '../../base/clock.ts';
import type { PolicyMode } from '../../base/config.ts';
import { BadRequestError, ForbiddenError, NotFoundError, RequestEntityTooLargeError } from '../../base/errors.ts';
import { CREATE_READ_ONLY_ORDER } from '../../base/image-attributes.ts';
import type { ImageFileStore } from '../store/image-files.ts';
import type { ImageListQuery, ImageStore } from '../store/image-store.ts';
import { canSeeImage } from './image-access.ts';
import { auditImageOperations } from './image-audit.ts';
import { createImageDataOperations, type ImageDownload } from './image-data.ts';
import { applyChanges, checkDbRange, checkNotNegative, type ImageChange } from './image-patch.ts';
import { createImagePolicy, type ImagePolicy } from './image-policy.ts';
import type { ImageFilter, ImageSort, ImageSortKey } from '../../base/image-query.ts';
import type { Caller, Image, MemberStatus, Visibility } from '../../base/domain.ts';

// The service's contract, from the modules that define them.
export type { ImageChange } from './image-patch.ts';
export type { ImageDownload } from './image-data.ts';

/** A create body as the HTTP layer parsed and schema-checked it. */
export interface NewImageRequest {
  id?: string;
  name?: string | null;
  visibility?: Visibility;
  protected?: boolean;
  osHidden?: boolean;
  minDisk?: number;
  minRam?: number;
  diskFormat?: string | null;
  containerFormat?: string | null;
  /** Present when the body named an owner (null included). */
  owner?: string | null;
  /** Read-only base attributes the body carried; Glance refuses them after its policy checks. */
  readOnly: readonly string[];
  /** The body carried `locations`, which Glance's image factory refuses as reserved. */
  hasLocations?: boolean;
  properties: Record<string, string>;
  tags: readonly string[];
}

/** `GET /v2/images` after syntax checks. */
export interface ImageListRequest {
  limit?: number;
  marker?: string;
  memberStatus: MemberStatus | 'all';
  /** A valid visibility, `all`, or '' (which Glance applies literally, matching nothing). */
  visibility?: string;
  sortKeys: ImageSortKey[];
  sortDirs: Array<'asc' | 'desc'>;
  filters: ImageFilter[];
}

/** One page of a list. */
export interface ImagePage {
  images: Image[];
  /** Present when the page is full: the id to continue after. */
  nextMarker?: string;
}

/** Glance's image API, one method per operation; each checks Glance's rules in Glance's order. */
export interface ImageService {
  create(caller: Caller, request: NewImageRequest): Promise<Image>;
  get(caller: Caller, imageId: string): Promise<Image>;
  list(caller: Caller, request: ImageListRequest): Promise<ImagePage>;
  update(caller: Caller, imageId: string, changes: readonly ImageChange[]): Promise<Image>;
  delete(caller: Caller, imageId: string): Promise<void>;
  /** Streams the image's data in; `declaredLength` is the request's Content-Length, if any. */
  upload(caller: Caller, imageId: string, data: Readable, declaredLength: number | undefined): Promise<void>;
  download(caller: Caller, imageId: string): Promise<ImageDownload>;
}

/** What the image service is built from. */
export interface ImageServiceDeps {
  store: ImageStore;
  files: ImageFileStore;
  clock: Clock;
  policyMode: PolicyMode;
  /** Glance's image_size_cap. */
  maxUploadBytes: number;
  /** How long an upload may go without renewing its lease (see upload-recovery.ts). */
  savingTimeoutSeconds?: number;
  /** Where creates, deletes and visibility changes are recorded, refused ones included; none if absent. */
  audit?: AuditLog;
}

/** Glance's limit_param_default: the page size when the request names none. */
export const DEFAULT_PAGE_SIZE = 25;
/** Glance's api_limit_max: the largest page, whatever the request asks. */
export const MAX_PAGE_SIZE = 1000;
/** Glance's image_property_quota. */
export const PROPERTY_QUOTA = 128;
/** Glance's image_tag_quota. */
export const TAG_QUOTA = 128;

/** Image ids are at most 36 characters in Glance's database; longer ones are never found. */
const MAX_ID_LENGTH = 36;

const noImage = (imageId: string): NotFoundError => new NotFoundError(`No image found with ID ${imageId}`);

function checkQuotas(image: Image, previous?: Image): void {
  const properties = Object.keys(image.properties).length;
  if (properties > PROPERTY_QUOTA && (previous === undefined || properties > Object.keys(previous.properties).length)) {
    throw new RequestEntityTooLargeError(
      `The limit has been exceeded on the number of allowed image properties. Attempted: ${properties}, Maximum: ${PROPERTY_QUOTA}`,
    );
  }
  if (image.tags.length > TAG_QUOTA) {
    throw new RequestEntityTooLargeError(
      `The limit has been exceeded on the number of allowed image tags. Attempted: ${image.tags.length}, Maximum: ${TAG_QUOTA}`,
    );
  }
}

/** What the operations share; built once by createImageService. */
interface ServiceContext {
  store: ImageStore;
  files: ImageFileStore;
  policy: ImagePolicy;
  /** The current time as stored (ISO 8601). */
  now(): string;
}

/** The image when the caller may see it (spec 6.1), else undefined; one database round trip. */
async function findVisible(store: ImageStore, caller: Caller, imageId: string): Promise<Image | undefined> {
  if (imageId.length > MAX_ID_LENGTH) return undefined;
  const found = await store.findForCaller(imageId, caller.projectId);
  return found !== undefined && canSeeImage(caller, found.image, found.callerIsMember) ? found.image : undefined;
}

async function visibleOr404(store: ImageStore, caller: Caller, imageId: string, notFound = noImage): Promise<Image> {
  const image = await findVisible(store, caller, imageId);
  if (image === undefined) throw notFound(imageId);
  return image;
}

/** The image a create makes: Glance's defaults for whatever the body left out. */
function newImage(request: NewImageRequest, owner: string | null, at: string): Image {
  return {
    id: request.id ?? randomUUID(),
    name: request.name ?? null,
    status: 'queued',
    visibility: request.visibility ?? 'shared',
    owner: owner || null,
    protected: request.protected ?? false,
    osHidden: request.osHidden ?? false,
    checksum: null,
    osHashAlgo: null,
    osHashValue: null,
    size: null,
    virtualSize: null,
    diskFormat: request.diskFormat ?? null,
    containerFormat: request.containerFormat ?? null,
    minDisk: checkNotNegative('min_disk', request.minDisk ?? 0),
    minRam: checkNotNegative('min_ram', request.minRam ?? 0),
    createdAt: at,
    updatedAt: at,
    properties: request.properties,
    tags: [...new Set(request.tags)],
  };
}

async function createImage({ store, policy, now }: ServiceContext, caller: Caller, request: NewImageRequest): Promise<Image> {
  const owner = request.owner === undefined ? caller.projectId : request.owner;
  policy.enforceCreate(caller, owner, request.visibility);
  const readOnly = CREATE_READ_ONLY_ORDER.find((name) => request.readOnly.includes(name));
  if (readOnly !== undefined) throw new ForbiddenError(`Attribute '${readOnly}' is read-only.`);
  if (request.hasLocations === true) throw new ForbiddenError("Attribute 'locations' is reserved.");
  const image = newImage(request, owner, now());
  checkQuotas(image);
  checkDbRange(image);
  await store.insert(image);
  return image;
}

async function getImage({ store, policy }: ServiceContext, caller: Caller, imageId: string): Promise<Image> {
  const image = await visibleOr404(store, caller, imageId);
  policy.enforceGet(caller);
  return image;
}

/** The marker of a list request: 400 when there is no such image, 403 when the caller may not see it. */
async function findMarker(store: ImageStore, caller: Caller, marker: string): Promise<Image> {
  const found = marker.length > MAX_ID_LENGTH ? undefined : await store.findForCaller(marker, caller.projectId);
  if (found === undefined) throw new BadRequestError(`No image found with ID ${marker}`);
  if (!canSeeImage(caller, found.image, found.callerIsMember)) throw new ForbiddenError(`Forbidding request, image ${marker} not visible`);
  return found.image;
}

/** Which images the caller lists: its scope, and the visibility the request asked for (or Glance's default). */
function listScope(caller: Caller, request: ImageListRequest): Pick<ImageListQuery, 'scope' | 'visibility' | 'communityOnlyIfOwnedBy'> {
  return {
    scope: caller.isAdmin ? { kind: 'all' } : { kind: 'project', projectId: caller.projectId, memberStatus: request.memberStatus },
    ...(request.visibility === undefined
      ? { communityOnlyIfOwnedBy: caller.projectId }
      : request.visibility === 'all'
        ? {}
        : { visibility: request.visibility }),
  };
}

async function listImages({ store, policy }: ServiceContext, caller: Caller, request: ImageListRequest): Promise<ImagePage> {
  policy.enforceList(caller);
  const limit = Math.min(MAX_PAGE_SIZE, request.limit ?? DEFAULT_PAGE_SIZE);
  const marker = request.marker === undefined ? undefined : await findMarker(store, caller, request.marker);
  const images = await store.list({
    ...listScope(caller, request),
    filters: request.filters,
    sort: completeSort(request.sortKeys, request.sortDirs),
    ...(marker === undefined ? {} : { marker }),
    limit,
  });
  const last = images.at(-1);
  return limit > 0 && images.length === limit && last !== undefined ? { images, nextMarker: last.id } : { images };
}

function updateImage(
  { store, policy, now }: ServiceContext,
  caller: Caller,
  imageId: string,
  changes: readonly ImageChange[],
  draft?: AuditDraft,
): Promise<Image> {
  return store.transaction(async (s) => {
    const image = await visibleOr404(s, caller, imageId);
    if (draft !== undefined) draft.oldVisibility = image.visibility;
    if (changes.length === 0) return image;
    const previous = structuredClone(image);
    applyChanges({ caller, policy }, image, changes);
    // Glance saves through the caller's own view: an image given away is no longer its to save.
    if (!caller.isAdmin && image.owner !== previous.owner && image.owner !== caller.projectId) {
      throw new ForbiddenError(`Forbidding request, image ${imageId} not visible`);
    }
    checkQuotas(image, previous);
    checkDbRange(image);
    image.updatedAt = now();
    if (!(await s.update(image))) throw noImage(imageId);
    return image;
  });
}

async function deleteImage({ store, files, policy }: ServiceContext, caller: Caller, imageId: string): Promise<void> {
  const notFound = (id: string): NotFoundError => new NotFoundError(`Failed to find image ${id} to delete`);
  const image = await visibleOr404(store, caller, imageId, notFound);
  policy.enforceOwner(caller, image, 'delete_image', 'You do not own this image');
  if (image.protected) throw new ForbiddenError(`Image ${imageId} is protected and cannot be deleted.`);
  if (!(await store.delete(imageId))) throw notFound(imageId);
  await files.remove(imageId);
}

/** The image service over its store, file store, clock and policy mode. */
export function createImageService(deps: ImageServiceDeps): ImageService {
  const { store, files, clock } = deps;
  const policy = createImagePolicy(deps.policyMode);
  const context: ServiceContext = { store, files, policy, now: () => clock.now().toISOString() };
  const data = createImageDataOperations({ ...deps, policy, visibleOr404: (caller, id) => visibleOr404(store, caller, id) });
  const changes = auditImageOperations(deps.audit ?? NO_AUDIT, {
    create: (caller, request) => createImage(context, caller, request),
    update: (caller, imageId, patch, draft) => updateImage(context, caller, imageId, patch, draft),
    delete: (caller, imageId) => deleteImage(context, caller, imageId),
  });
  return {
    ...changes,
    get: (caller, imageId) => getImage(context, caller, imageId),
    list: (caller, request) => listImages(context, caller, request),
    upload: data.upload,
    download: data.download,
  };
}

/**
 * Glance's sort rules: one direction applies to every key; without one, `desc`; created_at and
 * id are appended (in the default direction) so that the order is total and the keyset unique.
 */
function completeSort(keys: readonly ImageSortKey[], dirs: ReadonlyArray<'asc' | 'desc'>): ImageSort[] {
  const sortKeys = keys.length > 0 ? [...keys] : ['created_at' as const];
  const defaultDir = dirs.length === 1 ? dirs[0]! : 'desc';
  const sort = sortKeys.map((key, i) => ({ key, dir: dirs.length > 1 ? (dirs[i] ?? defaultDir) : defaultDir }));
  for (const key of ['created_at', 'id'] as const) {
    if (!sortKeys.includes(key)) sort.push({ key, dir: defaultDir });
  }
  return sort;
}
