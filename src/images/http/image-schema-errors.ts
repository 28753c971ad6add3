/**
 * Glance's 400 texts for documents that fail the image schema. Ajv (schemas/image-create.json)
 * decides whether a document is valid; this module only words the failure the way Glance does,
 * which is `str()` of the error python-jsonschema picks (`best_match`), e.g.
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
 * values with Python's `repr` and `pprint` rules.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SchemaNode = { [key: string]: Json };

// ---------------------------------------------------------------- Python repr / pprint

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's `repr(str)`: single quotes unless the text has `'` and no `"`. */
export function pyStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char !== ' ' && NON_PRINTABLE.test(char)) {
      if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
      else out += `\\U${code.toString(16).padStart(8, '0')}`;
    } else out += char;
  }
  return out + quote;
}

export function pyNumberRepr(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** Python's `repr` of a JSON value; `sorted` gives pprint's `_safe_repr`, which sorts dict keys. */
export function pyRepr(value: Json, sorted = false): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumberRepr(value);
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map((item) => pyRepr(item, sorted)).join(', ')}]`;
  const entries = sorted ? sortedEntries(value) : Object.entries(value);
  return `{${entries.map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v, sorted)}`).join(', ')}}`;
}

function sortedEntries(value: { [key: string]: Json }): Array<[string, Json]> {
  return Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const length = (text: string): number => [...text].length;

/** `pprint.pformat(value, width)` (indent 1, sorted dicts, not compact). */
export function pformat(value: Json, width = 72): string {
  const out: string[] = [];
  format(value, out, 0, 0, 0, width);
  return out.join('');
}

function format(value: Json, out: string[], indent: number, allowance: number, level: number, width: number): void {
  const rep = pyRepr(value, true);
  if (length(rep) <= width - indent - allowance || value === null || (typeof value !== 'object' && typeof value !== 'string')) {
    out.push(rep);
    return;
  }
  if (typeof value === 'string') {
    formatString(value, rep, out, indent, allowance, level + 1, width);
  } else if (Array.isArray(value)) {
    out.push('[');
    formatItems(value, out, indent, allowance + 1, level + 1, width);
    out.push(']');
  } else {
    out.push('{');
    const entries = sortedEntries(value);
    const inner = indent + 1;
    entries.forEach(([key, entry], i) => {
      const last = i === entries.length - 1;
      const keyRep = pyStrRepr(key);
      out.push(keyRep, ': ');
      format(entry, out, inner + length(keyRep) + 2, last ? allowance + 1 : 1, level + 1, width);
      if (!last) out.push(`,\n${' '.repeat(inner)}`);
    });
    out.push('}');
  }
}

function formatItems(items: Json[], out: string[], indent: number, allowance: number, level: number, width: number): void {
  const inner = indent + 1;
  items.forEach((item, i) => {
    const last = i === items.length - 1;
    if (i > 0) out.push(`,\n${' '.repeat(inner)}`);
    format(item, out, inner, last ? allowance : 1, level, width);
  });
}

/** pprint's `_pprint_str`: long strings are cut at whitespace into adjacent literals. */
function formatString(text: string, rep: string, out: string[], indent: number, allowance: number, level: number, width: number): void {
  const lines = text.split(/(?<=\r\n|\n|\r)/);
  if (level === 1) {
    indent += 1;
    allowance += 1;
  }
  const chunks: string[] = [];
  let maxWidth1 = width - indent;
  lines.forEach((line, i) => {
    const lineRep = pyStrRepr(line);
    if (i === lines.length - 1) maxWidth1 -= allowance;
    if (length(lineRep) <= maxWidth1) {
      chunks.push(lineRep);
      return;
    }
    const parts = line.match(/\S*\s*/g)!.filter((part) => part !== '');
    let maxWidth2 = width - indent;
    let current = '';
    parts.forEach((part, j) => {
      const candidate = current + part;
      if (j === parts.length - 1 && i === lines.length - 1) maxWidth2 -= allowance;
      if (length(pyStrRepr(candidate)) > maxWidth2) {
        if (current !== '') chunks.push(pyStrRepr(current));
        current = part;
      } else current = candidate;
    });
    if (current !== '') chunks.push(pyStrRepr(current));
  });
  if (chunks.length <= 1) {
    out.push(rep);
    return;
  }
  out.push(`${level === 1 ? '(' : ''}${chunks.join(`\n${' '.repeat(indent)}`)}${level === 1 ? ')' : ''}`);
}

// ---------------------------------------------------------------- jsonschema's choice of error

interface SchemaError {
  message: string;
  keyword: string;
  schemaPath: Array<string | number>;
  instancePath: Array<string | number>;
  schema: SchemaNode;
  instance: Json;
}

const isObject = (value: Json): value is { [key: string]: Json } => value !== null && typeof value === 'object' && !Array.isArray(value);

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

/** The errors python-jsonschema yields, in its order (schema keywords in document order). */
function* iterErrors(
  instance: Json,
  schema: SchemaNode,
  schemaPath: Array<string | number>,
  instancePath: Array<string | number>,
): Generator<SchemaError> {
  const error = (keyword: string, message: string): SchemaError => ({
    message,
    keyword,
    schemaPath: [...schemaPath, keyword],
    instancePath,
    schema,
    instance,
  });
  for (const [keyword, rule] of Object.entries(schema)) {
    switch (keyword) {
      case 'type': {
        const types = (Array.isArray(rule) ? rule : [rule]) as string[];
        if (!types.some((type) => isType(instance, type))) {
          yield error(keyword, `${pyRepr(instance)} is not of type ${types.map((t) => pyStrRepr(t)).join(', ')}`);
        }
        break;
      }
      case 'enum':
        if (!(rule as Json[]).some((allowed) => sameJson(allowed, instance))) {
          yield error(keyword, `${pyRepr(instance)} is not one of ${pyRepr(rule)}`);
        }
        break;
      case 'maxLength':
        if (typeof instance === 'string' && length(instance) > (rule as number)) yield error(keyword, `${pyRepr(instance)} is too long`);
        break;
      case 'maximum':
        if (typeof instance === 'number' && instance > (rule as number)) {
          yield error(keyword, `${pyRepr(instance)} is greater than the maximum of ${pyRepr(rule)}`);
        }
        break;
      case 'pattern':
        if (typeof instance === 'string' && !new RegExp(rule as string, 'u').test(instance)) {
          yield error(keyword, `${pyRepr(instance)} does not match ${pyRepr(rule)}`);
        }
        break;
      case 'items':
        if (Array.isArray(instance) && isObject(rule)) {
          for (const [index, item] of instance.entries()) yield* iterErrors(item, rule, [...schemaPath, 'items'], [...instancePath, index]);
        }
        break;
      case 'properties':
        if (isObject(instance) && isObject(rule)) {
          for (const [name, sub] of Object.entries(rule)) {
            if (Object.hasOwn(instance, name) && isObject(sub)) {
              yield* iterErrors(instance[name]!, sub, [...schemaPath, 'properties', name], [...instancePath, name]);
            }
          }
        }
        break;
      case 'additionalProperties': {
        const declared = isObject(schema['properties'] ?? null) ? (schema['properties'] as SchemaNode) : {};
        if (isObject(instance) && isObject(rule)) {
          for (const [name, value] of Object.entries(instance)) {
            if (!Object.hasOwn(declared, name))
              yield* iterErrors(value, rule, [...schemaPath, 'additionalProperties'], [...instancePath, name]);
          }
        }
        break;
      }
      default:
        break;
    }
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

const indexPath = (word: string, path: Array<string | number>): string =>
  path.length === 0 ? word : `${word}[${path.map((p) => (typeof p === 'number' ? String(p) : pyStrRepr(p))).join('][')}]`;

/**
 * Glance's explanation for a document that ajv refused: the first line names the schema and
 * jsonschema's message, the rest locates it. Falls back to ajv's own wording should the two
 * schema files ever disagree.
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
