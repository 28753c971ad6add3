/**
 * Applies a PATCH's changes to an image in memory, in order, with Glance's checks
 * (glance/api/v2/images.py `_do_add` / `_do_replace` / `_do_remove` and the domain setters).
 * The first failure aborts the whole request; nothing is saved.
 */
import { BadRequestError, ConflictError, ForbiddenError } from '../../base/errors.ts';
import { NOT_REMOVABLE, PATCH_WRITABLE } from '../../base/image-attributes.ts';
import type { ImagePolicy } from './image-policy.ts';
import type { Caller, Image, Visibility } from '../../base/domain.ts';

/** One change as the HTTP layer parsed and validated it (value already checked against the image schema). */
export interface ImageChange {
  op: 'add' | 'replace' | 'remove';
  /** The decoded JSON pointer: one segment, or two for `/locations/N`. */
  path: string[];
  value?: unknown;
  /** 4 for `application/openstack-images-v2.0-json-patch`, 10 for v2.1. */
  draft: 4 | 10;
}

/** Glance's `_validate_db_int` limit for min_disk/min_ram. */
export const MAX_DB_INT = 2 ** 31 - 1;

/** The domain setter's check on min_disk/min_ram. */
export function checkNotNegative(param: 'min_disk' | 'min_ram', value: number): number {
  if (value < 0) throw new BadRequestError(`Invalid value '${value}' for parameter '${param}': Cannot be a negative value`);
  return value;
}

/** The database layer's check on min_disk/min_ram, made when the image is saved. */
export function checkDbRange(image: Pick<Image, 'minDisk' | 'minRam'>): void {
  for (const [param, value] of [
    ['min_disk', image.minDisk],
    ['min_ram', image.minRam],
  ] as const) {
    if (value > MAX_DB_INT) throw new BadRequestError(`'${param}' value out of range, must not exceed ${MAX_DB_INT}.`);
  }
}

function setAttribute(image: Image, name: string, value: unknown): void {
  switch (name) {
    case 'name':
      image.name = value as string | null;
      break;
    case 'visibility':
      image.visibility = value as Visibility;
      break;
    case 'protected':
      image.protected = value as boolean;
      break;
    case 'os_hidden':
      image.osHidden = value as boolean;
      break;
    case 'min_disk':
      image.minDisk = checkNotNegative(name, value as number);
      break;
    case 'min_ram':
      image.minRam = checkNotNegative(name, value as number);
      break;
    case 'owner':
      image.owner = (value as string | null) || null;
      break;
    case 'tags':
      image.tags = [...new Set(value as string[])];
      break;
    case 'disk_format':
    case 'container_format':
      if (image.status !== 'queued' && image.status !== 'importing') {
        throw new ForbiddenError(`Attribute ${name} can be only replaced for a queued image.`);
      }
      if (name === 'disk_format') image.diskFormat = value as string | null;
      else image.containerFormat = value as string | null;
      break;
    default:
      throw new Error(`not a base attribute: ${name}`);
  }
}

/** Extra property values are strings; the two schema-declared nullable ones are dropped when null. */
function setProperty(image: Image, name: string, value: unknown): void {
  if (value === null) delete image.properties[name];
  else image.properties[name] = value as string;
}

function locationsChange(change: ImageChange): never {
  if (change.op === 'replace') {
    if (Array.isArray(change.value) && change.value.length === 0) throw new ForbiddenError('Cannot set locations to empty list.');
    throw new ForbiddenError("It's not allowed to update locations if locations are invisible.");
  }
  throw new ForbiddenError(`It's not allowed to ${change.op} locations if locations are invisible.`);
}

/** Who is patching, and the policy their changes are checked against. */
export interface PatchContext {
  caller: Caller;
  policy: ImagePolicy;
}

/** Applies `changes` to `image` (mutated in place). */
export function applyChanges({ caller, policy }: PatchContext, image: Image, changes: readonly ImageChange[]): void {
  const modify = (name: string, value?: unknown): void => {
    if (name === 'visibility' && value !== undefined) policy.enforceVisibility(caller, image, value as Visibility);
    policy.enforceOwner(caller, image, 'modify_image', 'You do not own this image');
  };
  const hasProperty = (name: string): boolean => Object.hasOwn(image.properties, name);

  for (const change of changes) {
    const name = change.path[0]!;
    if (name === 'locations') locationsChange(change);
    switch (change.op) {
      case 'replace':
        if (name === 'owner' && !caller.isAdmin) throw new ForbiddenError("Owner can't be updated by non admin.");
        modify(name, change.value);
        if (PATCH_WRITABLE.has(name)) setAttribute(image, name, change.value);
        else if (hasProperty(name)) setProperty(image, name, change.value);
        else throw new ConflictError(`Property ${name} does not exist.`);
        break;
      case 'add':
        modify(name, change.value);
        if (change.draft === 4 && (PATCH_WRITABLE.has(name) || hasProperty(name))) {
          throw new ConflictError(`Property ${name} already present.`);
        }
        if (PATCH_WRITABLE.has(name)) setAttribute(image, name, change.value);
        else setProperty(image, name, change.value);
        break;
      case 'remove':
        modify(name);
        if (NOT_REMOVABLE.has(name)) throw new ForbiddenError(`Property ${name} may not be removed.`);
        if (!hasProperty(name)) throw new ConflictError(`Property ${name} does not exist.`);
        delete image.properties[name];
        break;
    }
  }
}
