/**
 * Glance's 400 texts for documents that fail the image schema. Ajv (the validator's
 * `glance/image.json`) decides whether a document is valid; this module only words the failure
 * the way Glance does, which is `str()` of the error python-jsonschema picks (`best_match`), e.g.
 *
 *   Provided object does not match schema 'image': 'bogus' is not one of [None, 'ami', ...]
 *
 *   Failed validating 'enum' in schema['properties']['disk_format']:
 *       {...the sub-schema, pprint'ed at width 72...}
 *
 *   On instance['disk_format']:
 *       'bogus'
 *
 * To reproduce that it walks the served schema document (schemas/glance/image.json, which
 * carries Glance's annotations such as `is_base`) in jsonschema's keyword order and renders
 * values with Python's `repr` and `pprint` rules (python-repr.ts).
 */
import { pformat, pyRepr, pyStrRepr, type Json } from './python-repr.ts';

type SchemaNode = { [key: string]: Json };
type Path = Array<string | number>;

interface SchemaError {
  message: string;
  keyword: string;
  schemaPath: Path;
  instancePath: Path;
  schema: SchemaNode;
  instance: Json;
}

/** Where the walk is: the instance part, the (sub-)schema that applies to it, and both paths. */
interface Position {
  instance: Json;
  schema: SchemaNode;
  schemaPath: Path;
  instancePath: Path;
}

const isObject = (value: Json): value is { [key: string]: Json } => value !== null && typeof value === 'object' && !Array.isArray(value);
const codePoints = (text: string): number => [...text].length;

function isType(value: Json, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return false;
  }
}

function sameJson(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A keyword that checks the instance itself: jsonschema's message when it fails, else undefined. */
type KeywordCheck = (instance: Json, rule: Json) => string | undefined;

const MESSAGES: ReadonlyMap<string, KeywordCheck> = new Map<string, KeywordCheck>([
  [
    'type',
    (instance, rule) => {
      const types = (Array.isArray(rule) ? rule : [rule]) as string[];
      if (types.some((type) => isType(instance, type))) return undefined;
      return `${pyRepr(instance)} is not of type ${types.map((t) => pyStrRepr(t)).join(', ')}`;
    },
  ],
  [
    'enum',
    (instance, rule) =>
      (rule as Json[]).some((allowed) => sameJson(allowed, instance)) ? undefined : `${pyRepr(instance)} is not one of ${pyRepr(rule)}`,
  ],
  [
    'maxLength',
    (instance, rule) =>
      typeof instance === 'string' && codePoints(instance) > (rule as number) ? `${pyRepr(instance)} is too long` : undefined,
  ],
  [
    'maximum',
    (instance, rule) =>
      typeof instance === 'number' && instance > (rule as number)
        ? `${pyRepr(instance)} is greater than the maximum of ${pyRepr(rule)}`
        : undefined,
  ],
  [
    'pattern',
    (instance, rule) =>
      typeof instance === 'string' && !new RegExp(rule as string, 'u').test(instance)
        ? `${pyRepr(instance)} does not match ${pyRepr(rule)}`
        : undefined,
  ],
]);

/** Keywords that apply a sub-schema to parts of the instance: the errors of those parts, in order. */
function* subschemaErrors(keyword: string, rule: Json, at: Position): Generator<SchemaError> {
  const { instance, schema, schemaPath, instancePath } = at;
  if (!isObject(rule)) return;
  if (keyword === 'items' && Array.isArray(instance)) {
    for (const [index, item] of instance.entries()) yield* iterErrors(item, rule, [...schemaPath, 'items'], [...instancePath, index]);
  } else if (keyword === 'properties' && isObject(instance)) {
    for (const [name, sub] of Object.entries(rule)) {
      if (Object.hasOwn(instance, name) && isObject(sub)) {
        yield* iterErrors(instance[name]!, sub, [...schemaPath, 'properties', name], [...instancePath, name]);
      }
    }
  } else if (keyword === 'additionalProperties' && isObject(instance)) {
    const declared = isObject(schema['properties'] ?? null) ? (schema['properties'] as SchemaNode) : {};
    for (const [name, value] of Object.entries(instance)) {
      if (!Object.hasOwn(declared, name)) yield* iterErrors(value, rule, [...schemaPath, 'additionalProperties'], [...instancePath, name]);
    }
  }
}

/** The errors python-jsonschema yields, in its order (schema keywords in document order). */
function* iterErrors(instance: Json, schema: SchemaNode, schemaPath: Path, instancePath: Path): Generator<SchemaError> {
  const at: Position = { instance, schema, schemaPath, instancePath };
  for (const [keyword, rule] of Object.entries(schema)) {
    const check = MESSAGES.get(keyword);
    if (check === undefined) {
      yield* subschemaErrors(keyword, rule, at);
      continue;
    }
    const message = check(instance, rule);
    if (message !== undefined) yield { message, keyword, schemaPath: [...schemaPath, keyword], instancePath, schema, instance };
  }
}

/** jsonschema's `relevance` key: shallow errors first, then errors whose instance has the wrong type. */
function relevance(error: SchemaError): number[] {
  const type = error.schema['type'];
  const types = type === undefined ? [] : ((Array.isArray(type) ? type : [type]) as string[]);
  const matchesType = types.length > 0 && types.some((t) => isType(error.instance, t));
  return [-error.instancePath.length, 1, 0, matchesType ? 0 : 1];
}

function bestMatch(errors: Iterable<SchemaError>): SchemaError | undefined {
  let best: SchemaError | undefined;
  let bestKey: number[] = [];
  for (const error of errors) {
    const key = relevance(error);
    if (best === undefined || compareKeys(key, bestKey) > 0) {
      best = error;
      bestKey = key;
    }
  }
  return best;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

const indexPath = (word: string, path: Path): string =>
  path.length === 0 ? word : `${word}[${path.map((p) => (typeof p === 'number' ? String(p) : pyStrRepr(p))).join('][')}]`;

/**
 * Glance's explanation for a document that ajv refused: the first line names the schema and
 * jsonschema's message, the rest locates it. Falls back to ajv's own wording should ajv and this
 * walk ever disagree about the document.
 */
export function explainSchemaFailure(schemaName: string, document: unknown, schema: unknown, ajvProblems: readonly string[]): string {
  const prefix = `Provided object does not match schema '${schemaName}': `;
  const instance = document as Json;
  if (!isObject(instance)) return `${prefix}${pyRepr(instance)} is not of type 'object'`;
  const best = isObject(schema as Json) ? bestMatch(iterErrors(instance, schema as SchemaNode, [], [])) : undefined;
  if (best === undefined) return `${prefix}${ajvProblems[0] ?? 'invalid document'}`;
  const indented = (text: string): string => text.split('\n').join('\n    ');
  return (
    `${prefix}${best.message}\n\n` +
    `Failed validating ${pyStrRepr(best.keyword)} in ${indexPath('schema', best.schemaPath.slice(0, -1))}:\n    ${indented(pformat(best.schema))}\n\n` +
    `On ${indexPath('instance', best.instancePath)}:\n    ${indented(pformat(best.instance))}`
  );
}
