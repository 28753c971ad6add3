/**
 * Reading image requests the way Glance's deserializer does (glance/api/v2/images.py
 * `RequestDeserializer`): the create body, the JSON-patch document and the list query, each with
 * Glance's checks in Glance's order and its texts. Schema checks go through the shared Ajv.
 */
import {
  CREATE_DISALLOWED,
  imageAttribute,
  NULLABLE_PROPERTIES,
  PATCH_BASE_ATTRIBUTES,
  PATCH_READ_ONLY,
  RESERVED_ATTRIBUTES,
  type ImageAttributeRow,
} from '../../base/image-attributes.ts';
import { BadRequestError, ForbiddenError } from '../../base/errors.ts';
import { GLANCE_IMAGE_SCHEMA_ID, type Validator } from '../../base/validation.ts';
import type { ImageChange, NewImageRequest } from '../services/image-service.ts';
import { explainSchemaFailure } from './image-schema-errors.ts';
import { pyRepr } from './python-repr.ts';

/** The image schema every create body and every PATCH value is checked against. */
export const IMAGE_SCHEMA_ID = GLANCE_IMAGE_SCHEMA_ID;

/** Extra property names in this namespace are reserved, like RESERVED_ATTRIBUTES. */
const RESERVED_PREFIX = 'os_glance';
const MAX_PROPERTY_NAME = 255;
/** Glance stores values in a TEXT column; larger values would fail in its database. */
const MAX_PROPERTY_VALUE = 65535;

/** The PATCH media types Glance accepts, each with the JSON-patch draft it speaks. */
export const PATCH_MEDIA_TYPES: Readonly<Record<string, 4 | 10>> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Python's `str()` of a JSON value, as Glance's `%s` formatting shows it. */
const pyStr = (value: unknown): string => (typeof value === 'string' ? value : pyRepr(value as never));

/** What checking a document against the image schema needs: the validator, and the document to quote. */
export interface ImageSchemaCheck {
  validator: Validator;
  /** schemas/glance/image.json as served: the document Glance's error texts quote. */
  glanceSchema: unknown;
}

function validateAgainstImageSchema(check: ImageSchemaCheck, document: unknown): void {
  const problems = check.validator.check(IMAGE_SCHEMA_ID, document);
  if (problems.length > 0) throw new BadRequestError(explainSchemaFailure('image', document, check.glanceSchema, problems));
}

function checkExtraProperty(name: string, value: unknown): void {
  if ([...name].length > MAX_PROPERTY_NAME) throw new BadRequestError('Custom property should not be greater than 255 characters.');
  if (RESERVED_ATTRIBUTES.has(name) || name.startsWith(RESERVED_PREFIX)) throw new ForbiddenError(`Attribute '${name}' is reserved.`);
  if (typeof value === 'string' && [...value].length > MAX_PROPERTY_VALUE) {
    throw new BadRequestError(`Custom property value should not be greater than ${MAX_PROPERTY_VALUE} characters.`);
  }
}

/** Image fields a create body sets by name: its writable attributes but `tags` (read whole, first). */
type CreateField = Exclude<Extract<ImageAttributeRow, { create: 'writable' }>['field'], 'tags'>;

/** Reads one member of a schema-checked create body into `request` (read-only names into `readOnly`). */
function readCreateMember(request: NewImageRequest, readOnly: string[], key: string, value: unknown): void {
  const attribute = imageAttribute(key);
  switch (attribute?.create) {
    case 'writable':
      // Each is a NewImageRequest field of the same name as its Image field.
      if (attribute.field !== 'tags') (request as Record<CreateField, unknown>)[attribute.field] = value;
      return;
    case 'invisible':
      request.hasLocations = true;
      return;
    case 'read-only':
      readOnly.push(key);
      return;
    case 'ignored':
      return;
    default:
      checkExtraProperty(key, value);
      if (!(value === null && NULLABLE_PROPERTIES.has(key))) request.properties[key] = value as string;
  }
}

/** `POST /v2/images`: the parsed JSON body → what the service needs. */
export function parseCreateBody(check: ImageSchemaCheck, body: unknown): NewImageRequest {
  if (isObject(body)) {
    const disallowed = CREATE_DISALLOWED.find((key) => Object.hasOwn(body, key));
    if (disallowed !== undefined) throw new ForbiddenError(`Attribute '${disallowed}' is read-only.`);
  }
  validateAgainstImageSchema(check, body);
  const document = body as JsonObject;

  const request: NewImageRequest = {
    readOnly: [],
    properties: Object.create(null) as Record<string, string>,
    tags: (document['tags'] as string[] | undefined) ?? [],
  };
  const readOnly: string[] = [];
  for (const [key, value] of Object.entries(document)) readCreateMember(request, readOnly, key, value);
  request.readOnly = readOnly;
  return request;
}

/** The media type of a Content-Type header: lower-cased, parameters dropped. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const OPS = ['add', 'remove', 'replace'] as const;
type Op = (typeof OPS)[number];

function operationOf(raw: JsonObject, draft: 4 | 10): { op: Op; pointer: unknown } {
  if (draft === 10) {
    const op = raw['op'];
    const available = OPS.join(', ');
    if (op === undefined || op === null) {
      throw new BadRequestError(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${available}.`);
    }
    if (!OPS.includes(op as Op))
      throw new BadRequestError(`Invalid operation: \`${pyStr(op)}\`. It must be one of the following: ${available}.`);
    if (!Object.hasOwn(raw, 'path')) throw new BadRequestError("Unable to find 'path' in JSON Schema change");
    return { op: op as Op, pointer: raw['path'] };
  }
  const present = OPS.filter((key) => Object.hasOwn(raw, key));
  if (present.length > 1) throw new BadRequestError('Operation objects must contain only one member named "add", "remove", or "replace".');
  if (present.length === 0)
    throw new BadRequestError('Operation objects must contain exactly one member named "add", "remove", or "replace".');
  return { op: present[0]!, pointer: raw[present[0]!] };
}

/** Glance's restricted JSON pointer: checks, then `~1`/`~0` decoding and whitespace trimming. */
function decodePointer(raw: unknown): string[] {
  const pointer = pyStr(raw);
  if (typeof raw !== 'string' || !pointer.startsWith('/')) throw new BadRequestError(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) throw new BadRequestError(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) throw new BadRequestError(`Pointer \`${pointer}\` end with "/".`);
  if (pointer.slice(1).trim() === '/') throw new BadRequestError(`Pointer \`${pointer}\` does not contains valid token.`);
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    throw new BadRequestError(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  }
  return pointer
    .replace(/^\/+/, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~').trim());
}

/** How deep a pointer may go per attribute and operation (`/locations/N` for add and remove). */
function checkDepth(op: Op, path: string[]): void {
  const allowed = path[0] === 'locations' ? { add: 2, remove: 2, replace: 1 }[op] : 1;
  if (path.length !== allowed) throw new BadRequestError(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
}

/** `PATCH /v2/images/{id}`: media type already checked; the parsed body → changes. */
export function parsePatch(check: ImageSchemaCheck, body: unknown, draft: 4 | 10): ImageChange[] {
  if (!Array.isArray(body)) throw new BadRequestError('Request body must be a JSON array of operation objects.');
  return body.map((raw: unknown): ImageChange => {
    if (!isObject(raw)) throw new BadRequestError('Operations must be JSON objects.');
    const { op, pointer } = operationOf(raw, draft);
    const path = decodePointer(pointer);
    checkDepth(op, path);
    const change: ImageChange = { op, path, draft };
    if (op !== 'remove') {
      if (!Object.hasOwn(raw, 'value')) throw new BadRequestError(`Operation "${op}" requires a member named "value".`);
      change.value = raw['value'];
    }
    const root = path[0]!;
    if (PATCH_READ_ONLY.has(root)) throw new ForbiddenError(`Attribute '${root}' is read-only.`);
    if (RESERVED_ATTRIBUTES.has(root) || root.startsWith(RESERVED_PREFIX)) throw new ForbiddenError(`Attribute '${root}' is reserved.`);
    if (op === 'remove') return change;
    validateAgainstImageSchema(check, { [root]: path.length === 1 ? change.value : [change.value] });
    if (!PATCH_BASE_ATTRIBUTES.has(root)) checkExtraProperty(root, change.value);
    return change;
  });
}
