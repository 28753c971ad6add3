/**
 * `GET /v2/images` query parameters, read as Glance reads them (deserializer `index`, the
 * controller's os_hidden/protected checks and the database layer's filter syntax), and the
 * `first`/`next` links built back from them. Repeated parameters take their last value, except
 * `tag`, `sort_key` and `sort_dir`, which are lists.
 */
import { BadRequestError } from '../../base/errors.ts';
import { FILTER_COLUMNS } from '../../base/image-attributes.ts';
import type { ImageListRequest } from '../services/image-service.ts';
import { MEMBER_STATUSES, VISIBILITIES, type MemberStatus } from '../../base/domain.ts';
import { IMAGE_SORT_KEYS as SORT_KEYS, type ImageFilter, type ImageSortKey } from '../../base/image-query.ts';

/** A query string as ordered name/value pairs, repeats kept. */
export type QueryPairs = ReadonlyArray<readonly [string, string]>;

const MULTI_VALUED = new Set(['tag', 'sort_key', 'sort_dir']);
const LIST_PARAMS = new Set(['limit', 'marker', 'member_status', 'tag', 'sort', 'sort_key', 'sort_dir']);
/** Columns filtered with Glance's `eq:`/`in:` operator syntax. */
const OPERATOR_COLUMNS = FILTER_COLUMNS.operator;
/** Other image columns Glance compares for equality. */
const TEXT_COLUMNS = FILTER_COLUMNS.text;
/** Integer columns: equality, and ranges with `<column>_min` / `<column>_max`. */
const NUMBER_COLUMNS = FILTER_COLUMNS.number;
/** Time columns: an ISO 8601 time with one of TIME_OPERATORS. */
const TIME_COLUMNS = FILTER_COLUMNS.time;
const TIME_OPERATORS = new Set(['gt', 'gte', 'lt', 'lte', 'neq', 'eq']);

/** Parses the query string of a request URL into ordered pairs (`+` and %-escapes decoded). */
export function queryPairsOf(url: string): Array<[string, string]> {
  const at = url.indexOf('?');
  return at < 0 ? [] : [...new URLSearchParams(url.slice(at + 1))];
}

/** oslo's parse_isotime (iso8601): a date, optional time, optional zone (UTC when absent). */
function parseIsoTime(text: string): Date | undefined {
  const match = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
    text.trim(),
  );
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', fraction = '', zone = 'Z'] = match;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 3 ? `${zone}:00` : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${sec}.${fraction.padEnd(3, '0').slice(0, 3)}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Glance's `split_filter_op`: `op:value`, unless the whole text is an ISO time (then `eq`). */
function splitOperator(expression: string): [string, string] {
  const colon = expression.indexOf(':');
  if (colon < 0 || parseIsoTime(expression) !== undefined) return ['eq', expression];
  return [expression.slice(0, colon), expression.slice(colon + 1)];
}

/** Glance's `split_filter_value_for_quotes`: comma-separated, with double-quoted items. */
function splitInValues(text: string): string[] {
  let open = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '"' || (i > 0 && text[i - 1] === '\\')) continue;
    if (open && i + 1 < text.length && text[i + 1] !== ',')
      throw new BadRequestError('Invalid filter value ' + text + '. There is no comma after closing quotation mark.');
    if (!open && i > 0 && text[i - 1] !== ',')
      throw new BadRequestError('Invalid filter value ' + text + '. There is no comma before opening quotation mark.');
    open = !open;
  }
  if (open) throw new BadRequestError('Invalid filter value ' + text + '. The quote is not closed.');
  return [...text.matchAll(/"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,/g)].map((m) => m[1] ?? m[2] ?? '');
}

function columnFilter(key: string, value: string): ImageFilter {
  if (key.endsWith('_min') || key.endsWith('_max')) {
    if (!/^\s*[+-]?\d+\s*$/.test(value)) throw new BadRequestError('Unable to filter on a range with a non-numeric value.');
    const column = key.slice(0, -4);
    const bound = Number(value);
    if (NUMBER_COLUMNS.has(column)) return { column: column as 'size', op: key.endsWith('_min') ? 'gte' : 'lte', value: bound };
    return { property: key, value };
  }
  if (TIME_COLUMNS.has(key)) {
    const [op, time] = splitOperator(value);
    const threshold = parseIsoTime(time);
    if (threshold === undefined) throw new BadRequestError(`Bad "${key}" query filter format. Use ISO 8601 DateTime notation.`);
    if (!TIME_OPERATORS.has(op)) throw new BadRequestError('Unable to filter on a unknown operator.');
    return { column: key as 'created_at', op: op as 'eq', value: threshold.toISOString() };
  }
  if (OPERATOR_COLUMNS.has(key)) {
    const [op, operand] = splitOperator(value);
    if (op === 'in') return { column: key as 'name', op: 'in', values: splitInValues(operand) };
    if (op === 'eq') return { column: key as 'name', op: 'eq', value: operand };
    throw new BadRequestError(`Unable to filter by unknown operator '${op}'.`);
  }
  if (TEXT_COLUMNS.has(key)) return { column: key as 'owner', op: 'eq', value };
  if (NUMBER_COLUMNS.has(key)) return { column: key as 'size', op: 'eq', value: /^-?\d+$/.test(value) ? Number(value) : null };
  return { property: key, value };
}

function booleanFilter(name: 'os_hidden' | 'protected', value: string): ImageFilter {
  if (value !== 'true' && value !== 'false') {
    throw new BadRequestError(`Invalid value '${value}' for '${name}' filter. Valid values are 'true' or 'false'.`);
  }
  return { column: name, op: 'eq', value: value === 'true' };
}

function sortKey(text: string): ImageSortKey {
  const key = text.trim();
  if (!SORT_KEYS.includes(key as ImageSortKey)) {
    throw new BadRequestError(`Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  }
  return key as ImageSortKey;
}

function sortDir(text: string): 'asc' | 'desc' {
  const dir = text.trim();
  if (dir !== 'asc' && dir !== 'desc') throw new BadRequestError(`Invalid sort direction: ${dir}`);
  return dir;
}

/** The list request, with Glance's 400s for every malformed parameter. */
export function parseListQuery(pairs: QueryPairs): ImageListRequest {
  const last = new Map<string, string>();
  for (const [key, value] of pairs) last.set(key, value);
  const all = (name: string): string[] => pairs.filter(([key]) => key === name).map(([, value]) => value);

  const memberStatus = last.get('member_status') ?? 'accepted';
  if (![...MEMBER_STATUSES, 'all'].includes(memberStatus as MemberStatus)) throw new BadRequestError(`Invalid status: ${memberStatus}`);
  const visibility = last.get('visibility');
  if (visibility && ![...VISIBILITIES, 'all'].includes(visibility as never))
    throw new BadRequestError(`Invalid visibility value: ${visibility}`);
  if (last.get('changes-since')) throw new BadRequestError('The "changes-since" filter is no longer available on v2.');

  const request: ImageListRequest = { memberStatus: memberStatus as MemberStatus | 'all', sortKeys: [], sortDirs: [], filters: [] };
  const limit = last.get('limit');
  if (limit !== undefined) {
    if (!/^\s*[+-]?\d+\s*$/.test(limit)) throw new BadRequestError('limit param must be an integer');
    request.limit = Number(limit);
    if (request.limit < 0) throw new BadRequestError('limit param must be positive');
  }
  const marker = last.get('marker');
  if (marker !== undefined) request.marker = marker;
  if (visibility !== undefined) request.visibility = visibility;

  const sort = last.get('sort');
  if (sort !== undefined) {
    if (last.has('sort_key') || last.has('sort_dir')) throw new BadRequestError('Old and new sorting syntax cannot be combined');
    for (const item of sort.trim().split(',')) {
      const colon = item.indexOf(':');
      request.sortKeys.push(sortKey(colon < 0 ? item : item.slice(0, colon)));
      const dir = colon < 0 ? '' : item.slice(colon + 1);
      request.sortDirs.push(dir === '' ? 'desc' : sortDir(dir));
    }
  } else {
    request.sortKeys = all('sort_key').map(sortKey);
    request.sortDirs = all('sort_dir').map(sortDir);
    if (request.sortDirs.length > 1 && request.sortDirs.length !== request.sortKeys.length) {
      throw new BadRequestError('Number of sort dirs does not match the number of sort keys');
    }
  }

  request.filters.push(booleanFilter('os_hidden', (last.get('os_hidden') ?? 'false').toLowerCase()));
  const isProtected = last.get('protected');
  if (isProtected !== undefined) request.filters.push(booleanFilter('protected', isProtected));
  for (const tag of all('tag')) request.filters.push({ tag: tag.trim() });
  for (const [key, value] of last) {
    if (LIST_PARAMS.has(key) || ['visibility', 'os_hidden', 'protected', 'changes-since', 'deleted'].includes(key)) continue;
    request.filters.push(columnFilter(key, value));
  }
  return request;
}

/** Python's `urllib.parse.quote_plus`. */
function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * Glance's `first` and `next` links: the request's parameters in first-appearance order, each with
 * its last value, and the marker last. Unlike Glance, list parameters (`tag`, `sort_key`,
 * `sort_dir`) keep all their values, so that following `next` keeps the same order and filter.
 */
export function listLinks(pairs: QueryPairs, nextMarker: string | undefined): { first: string; next?: string } {
  const params = new Map<string, string[]>();
  for (const [key, value] of pairs) {
    if (key === 'marker') continue;
    const values = params.get(key);
    if (values !== undefined && MULTI_VALUED.has(key)) values.push(value);
    else params.set(key, [value]);
  }
  const encode = (map: Map<string, string[]>): string =>
    [...map].flatMap(([k, values]) => values.map((v) => `${quotePlus(k)}=${quotePlus(v)}`)).join('&');
  const query = encode(params);
  const first = query === '' ? '/v2/images' : `/v2/images?${query}`;
  if (nextMarker === undefined) return { first };
  params.set('marker', [nextMarker]);
  return { first, next: `/v2/images?${encode(params)}` };
}
