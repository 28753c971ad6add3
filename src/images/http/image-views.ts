/**
 * Glance's image representation (ResponseSerializer `_format_image`): extra properties first,
 * then the base attributes in Glance's order, then the links. Wire format only.
 */
import type { Image } from '../../base/domain.ts';

/** `YYYY-MM-DDTHH:MM:SSZ`, as oslo's `isotime` prints it. */
export function glanceTime(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

export function imagePath(imageId: string): string {
  return `/v2/images/${imageId}`;
}

export function toImageView(image: Image): Record<string, unknown> {
  // A null prototype lets a property called "__proto__" through like any other name.
  const view = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(image.properties)) view[name] = value;
  Object.assign(view, {
    name: image.name,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    visibility: image.visibility,
    size: image.size,
    virtual_size: image.virtualSize,
    status: image.status,
    checksum: image.checksum,
    protected: image.protected,
    min_ram: image.minRam,
    min_disk: image.minDisk,
    owner: image.owner,
    os_hidden: image.osHidden,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    id: image.id,
    created_at: glanceTime(image.createdAt),
    updated_at: glanceTime(image.updatedAt),
    tags: image.tags,
    self: imagePath(image.id),
    file: `${imagePath(image.id)}/file`,
    schema: '/v2/schemas/image',
  });
  return view;
}

export function toImagesView(images: readonly Image[], links: { first: string; next?: string }): Record<string, unknown> {
  return {
    images: images.map(toImageView),
    first: links.first,
    schema: '/v2/schemas/images',
    ...(links.next === undefined ? {} : { next: links.next }),
  };
}
