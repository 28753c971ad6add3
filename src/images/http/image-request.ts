/**
 * Reading image requests the way Glance's deserializer does (glance/api/v2/images.py
 * `RequestDeserializer`): the create body, the JSON-patch document and the list query, each with
 * Glance's checks in Glance's order and its texts. Schema checks go through the shared Ajv.
 */
import { BadRequestError, ForbiddenError } from '../../base/errors.ts';
import type { ImageChange, NewImageRequest } from '../services/image-service.ts';
import type { Visibility } from '../../base/domain.ts';
import type { Validator } from '../../base/validation.ts';
import { explainSchemaFailure, pyRepr } from './image-schema-errors.ts';

export const IMAGE_SCHEMA_ID = 'image-create.json';

/** Glance refuses these in a create body before anything else. */
const DISALLOWED = ['direct_url', 'self', 'file', 'schema', 'stores'];
/** Read-only in a PATCH (Glance's `_readonly_properties`). */
const READ_ONLY_PATCH = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'size',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
  'id',
  'os_hash_algo',
  'os_hash_value',
];
const RESERVED = ['location', 'deleted', 'deleted_at'];
/** Writable base attributes; every other name is an extra property. */
const BASE_ATTRIBUTES = new Set([
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'min_disk',
  'min_ram',
  'disk_format',
  'container_format',
  'owner',
  'tags',
  'locations',
]);
const RESERVED_PREFIX = 'os_glance';
/** Read-only attributes that Glance's image factory refuses on create (after the policy checks). */
const READ_ONLY_CREATE = new Set(['created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size']);
/** Accepted and ignored on create, as Glance does. */
const IGNORED_CREATE = new Set(['os_hash_algo', 'os_hash_value']);
/** Extra properties the image schema declares as nullable; null means "not set" here. */
const NULLABLE_PROPERTIES = new Set(['kernel_id', 'ramdisk_id']);

const MAX_PROPERTY_NAME = 255;
/** Glance stores values in a TEXT column; larger values would fail in its database. */
const MAX_PROPERTY_VALUE = 65535;

export const PATCH_MEDIA_TYPES: Readonly<Record<string, 4 | 10>> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Python's `str()` of a JSON value, as Glance's `%s` formatting shows it. */
const pyStr = (value: unknown): string => (typeof value === 'string' ? value : pyRepr(value as never));

export interface ImageSchemaCheck {
  validator: Validator;
  /** schemas/glance/image.json: the document Glance's error texts quote. */
  glanceSchema: unknown;
}

function validateAgainstImageSchema(check: ImageSchemaCheck, document: unknown): void {
  const problems = check.validator.check(IMAGE_SCHEMA_ID, document);
  if (problems.length > 0) throw new BadRequestError(explainSchemaFailure('image', document, check.glanceSchema, problems));
}

function checkExtraProperty(name: string, value: unknown): void {
  if ([...name].length > MAX_PROPERTY_NAME) throw new BadRequestError('Custom property should not be greater than 255 characters.');
  if (RESERVED.includes(name) || name.startsWith(RESERVED_PREFIX)) throw new ForbiddenError(`Attribute '${name}' is reserved.`);
  if (typeof value === 'string' && [...value].length > MAX_PROPERTY_VALUE) {
    throw new BadRequestError(`Custom property value should not be greater than ${MAX_PROPERTY_VALUE} characters.`);
  }
}

/** `POST /v2/images`: the parsed JSON body → what the service needs. */
export function parseCreateBody(check: ImageSchemaCheck, body: unknown): NewImageRequest {
  if (isObject(body)) {
    const disallowed = DISALLOWED.find((key) => Object.hasOwn(body, key));
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
  for (const [key, value] of Object.entries(document)) {
    switch (key) {
      case 'tags':
        break;
      case 'id':
        request.id = value as string;
        break;
      case 'name':
        request.name = value as string | null;
        break;
      case 'visibility':
        request.visibility = value as Visibility;
        break;
      case 'protected':
        request.protected = value as boolean;
        break;
      case 'os_hidden':
        request.osHidden = value as boolean;
        break;
      case 'min_disk':
        request.minDisk = value as number;
        break;
      case 'min_ram':
        request.minRam = value as number;
        break;
      case 'disk_format':
        request.diskFormat = value as string | null;
        break;
      case 'container_format':
        request.containerFormat = value as string | null;
        break;
      case 'owner':
        request.owner = value as string | null;
        break;
      case 'locations':
        request.hasLocations = true;
        break;
      default:
        if (READ_ONLY_CREATE.has(key)) readOnly.push(key);
        else if (!IGNORED_CREATE.has(key)) {
          checkExtraProperty(key, value);
          if (!(value === null && NULLABLE_PROPERTIES.has(key))) request.properties[key] = value as string;
        }
    }
  }
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
    if (READ_ONLY_PATCH.includes(root)) throw new ForbiddenError(`Attribute '${root}' is read-only.`);
    if (RESERVED.includes(root) || root.startsWith(RESERVED_PREFIX)) throw new ForbiddenError(`Attribute '${root}' is reserved.`);
    if (op === 'remove') return change;
    validateAgainstImageSchema(check, { [root]: path.length === 1 ? change.value : [change.value] });
    if (!BASE_ATTRIBUTES.has(root)) checkExtraProperty(root, change.value);
    return change;
  });
}
