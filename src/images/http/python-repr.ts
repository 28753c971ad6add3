/**
 * Python's `repr` and `pprint.pformat` of JSON values, as Glance's texts show them: the 400
 * explanations of image-schema-errors.ts (which pprint the schema and the offending value) and the
 * `%s`/`%r` formatting of values in other messages. Byte-for-byte Python 3 output is the point.
 */

/** A parsed JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

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

/** Python's `repr` of a JSON number: integers as such, floats always with a `.` or an exponent. */
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
