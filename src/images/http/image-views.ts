/**
 * Glance's image representation (ResponseSerializer `_format_image`): extra properties first,
 * then the base attributes in Glance's order (the attribute table's `view`), then the links.
 * Wire format only.
 */
import type { Image } from '../../base/domain.ts';
import { IMAGE_VIEW_ATTRIBUTES, type ImageAttribute } from '../../base/image-attributes.ts';

/** `YYYY-MM-DDTHH:MM:SSZ`, as oslo's `isotime` prints it. */
export function glanceTime(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

/** The path of an image resource, as its `self` link and Location header name it. */
export function imagePath(imageId: string): string {
  return `/v2/images/${imageId}`;
}

type ViewValue = (image: Image) => unknown;

/** The links of the view, which the image does not hold but Glance derives from its id. */
const LINKS: ReadonlyMap<string, ViewValue> = new Map<string, ViewValue>([
  ['self', (image) => imagePath(image.id)],
  ['file', (image) => `${imagePath(image.id)}/file`],
  ['schema', () => '/v2/schemas/image'],
]);

/** How the view shows an attribute: a link, a time as oslo prints it, or the Image field as it is. */
function viewValue(attribute: ImageAttribute): ViewValue {
  const link = LINKS.get(attribute.wire);
  if (link !== undefined) return link;
  const field = attribute.field;
  if (field === undefined) throw new Error(`image attribute ${attribute.wire} is in the view but has no Image field`);
  return attribute.column === 'timestamp' ? (image) => glanceTime(image[field] as string) : (image) => image[field];
}

/** The base part of the view: each name with how to get its value, in Glance's order. */
const VIEW: ReadonlyArray<readonly [string, ViewValue]> = IMAGE_VIEW_ATTRIBUTES.map((attribute) => [attribute.wire, viewValue(attribute)]);

/** One image as Glance shows it. */
export function toImageView(image: Image): Record<string, unknown> {
  // A null prototype lets a property called "__proto__" through like any other name.
  const view = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(image.properties)) view[name] = value;
  for (const [name, value] of VIEW) view[name] = value(image);
  return view;
}

/** `GET /v2/images`: a page of images with its links. */
export function toImagesView(images: readonly Image[], links: { first: string; next?: string }): Record<string, unknown> {
  return {
    images: images.map(toImageView),
    first: links.first,
    schema: '/v2/schemas/images',
    ...(links.next === undefined ? {} : { next: links.next }),
  };
}
