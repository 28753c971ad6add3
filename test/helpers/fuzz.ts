/**
 * Property-based fuzzing of the HTTP surface (issue 5, "bad input never hurts the service"): a raw
 * HTTP client that sends whatever bytes Node's client lets through, the fast-check arbitraries for
 * bodies, paths, query strings, headers and methods, and the check every answer must pass.
 *
 * Seeds: `FUZZ_SEED=<n>` replays a run, `FUZZ_SEED=random` explores; the default is fixed so that
 * `npm test` is deterministic. `FUZZ_RUNS=<factor>` scales every property's number of runs.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { statusTitle } from '../../src/base/errors.ts';
import { negotiateErrorFormat, renderWebobError, type ErrorFormat } from '../../src/http/webob-format.ts';

// ---------------------------------------------------------------- settings

const DEFAULT_SEED = 20261123;
const rawSeed = process.env['FUZZ_SEED'];
export const FUZZ_SEED = rawSeed === 'random' ? Math.floor(Math.random() * 2 ** 31) : rawSeed ? Number(rawSeed) : DEFAULT_SEED;
const RUN_FACTOR = Number(process.env['FUZZ_RUNS'] ?? '1') || 1;

/** fast-check parameters for one property: the run's seed, `runs` scaled by FUZZ_RUNS, a time bound. */
export function fuzzParameters(runs: number): fc.Parameters<unknown> {
  return {
    seed: FUZZ_SEED,
    numRuns: Math.max(1, Math.round(runs * RUN_FACTOR)),
    endOnFailure: true,
    // A batch that runs out of time is a failure: something became slow.
    interruptAfterTimeLimit: 120_000 * RUN_FACTOR,
    markInterruptAsFailure: true,
  };
}

/** Longest wait for one answer; a request still unanswered then counts as a hang. */
export const ANSWER_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- the raw client

export interface WireRequest {
  method: string;
  /** Path and query exactly as sent: one character per byte (latin1). */
  path: string;
  /** Header values as sent (latin1); a name may repeat. */
  headers: Array<[string, string]>;
  body?: Buffer;
  /** Send the body with chunked transfer coding instead of Content-Length. */
  chunked?: boolean;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** What `send` gives when the server closed the connection while a big body was still being sent. */
export const CLOSED_WHILE_SENDING: Answer = { status: 0, headers: {}, body: Buffer.alloc(0) };

/** Sends one request on a fresh connection; rejects when no complete answer arrives in time. */
export function send(baseUrl: string, request: WireRequest, timeoutMs = ANSWER_TIMEOUT_MS): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise<Answer>((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: url.hostname, port: url.port, method: request.method, path: request.path, agent: false });
    const grouped = new Map<string, { name: string; values: string[] }>();
    for (const [name, value] of request.headers) {
      const entry = grouped.get(name.toLowerCase()) ?? { name, values: [] };
      entry.values.push(value);
      grouped.set(name.toLowerCase(), entry);
    }
    for (const { name, values } of grouped.values()) req.setHeader(name, values.length === 1 ? values[0]! : values);
    if (request.body !== undefined && !request.chunked && !grouped.has('content-length'))
      req.setHeader('Content-Length', request.body.length);
    if (request.chunked) req.setHeader('Transfer-Encoding', 'chunked');
    const timer = setTimeout(() => {
      const error = new Error(
        `no complete answer within ${timeoutMs} ms${status === undefined ? '' : ` (status ${status} arrived, the body did not end)`}`,
      );
      req.destroy(error);
      reject(error);
    }, timeoutMs);
    let status: number | undefined;
    req.on('response', (res) => {
      status = res.statusCode;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        answered = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    // Node's client hands any answer to CONNECT over as a tunnel: its body is the rest of the stream.
    req.on('connect', (res: http.IncomingMessage, socket: Socket, head: Buffer) => {
      status = res.statusCode;
      const chunks: Buffer[] = [head];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        answered = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // Writing the rest of a refused body may fail once the answer is in; that is fine.
      if (answered) return;
      clearTimeout(timer);
      // A server that answers without reading a big body closes the connection while the client
      // still writes; the reset may then destroy the answer too (Node has no lingering close).
      if ((error.code === 'EPIPE' || error.code === 'ECONNRESET') && (request.body?.length ?? 0) > 64 * 1024) {
        resolve(CLOSED_WHILE_SENDING);
        return;
      }
      reject(error);
    });
    req.end(request.body);
  });
}

// ---------------------------------------------------------------- what every answer must look like

export interface CheckOptions {
  mode: 'builtin' | 'trusted-headers';
}

/** Methods Node's parser knows; any other gets its 400 before the app sees the request. */
const PARSER_METHODS = new Set(http.METHODS);
/** Bytes Node's parser refuses in a request target (DEL and everything above ASCII). */
const PARSER_REFUSED_URL = /[\u007f-\u00ff]/;

const WEBOB_JSON = /^\{"message": ("(?:[^"\\]|\\.)*"), "code": "(\d{3}) ([^"]*)", "title": "([^"]*)"\}$/s;

/** One line describing a request, for failure messages. */
export function describeRequest(request: WireRequest): string {
  const body =
    request.body === undefined ? '' : ` body(${request.body.length})=${JSON.stringify(request.body.subarray(0, 300).toString('latin1'))}`;
  const headers = request.headers
    .map(([n, v]) => `${n}: ${JSON.stringify(v.slice(0, 120))}${v.length > 120 ? `…(${v.length})` : ''}`)
    .join('; ');
  return `${request.method} ${JSON.stringify(request.path.slice(0, 300))}${request.path.length > 300 ? `…(${request.path.length})` : ''} [${headers}]${body}`;
}

function headerValue(request: WireRequest, name: string): string | undefined {
  const values = request.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(', ');
}

/** Node's --max-http-header-size default: the request line and headers together. */
const MAX_HEAD_BYTES = 16 * 1024;

/**
 * The size of the request head Node's client writes (request line, headers, blank line). With an
 * Expect header it writes the head on its own, as UTF-8 rather than latin1 (a quirk of its
 * `_send('')`), so characters past ASCII count twice.
 */
function headSize(request: WireRequest): number {
  const utf8 = request.headers.some(([name]) => name.toLowerCase() === 'expect');
  const bytes = (text: string): number => (utf8 ? Buffer.byteLength(text, 'utf8') : text.length);
  let size = bytes(`${request.method} ${request.path} HTTP/1.1\r\nHost: 127.0.0.1:65535\r\nConnection: close\r\n\r\n`);
  for (const [name, value] of request.headers) size += name.length + bytes(value) + 4;
  if (request.body !== undefined) size += request.chunked ? 28 : `Content-Length: ${request.body.length}\r\n`.length;
  return size;
}

/**
 * The error formats an answer may have: webob's page for the request's Accept, or Keystone's
 * document under the built-in identity; plain only when Node's parser refused the request (it
 * then knows nothing of it). Near the head size limit, either.
 */
export function expectedErrorFormats(request: WireRequest, options: CheckOptions): Array<ErrorFormat | 'keystone'> {
  if (!PARSER_METHODS.has(request.method) || PARSER_REFUSED_URL.test(request.path)) return ['plain'];
  const head = headSize(request);
  if (head > MAX_HEAD_BYTES + 64) return ['plain'];
  const formats: Array<ErrorFormat | 'keystone'> = head > MAX_HEAD_BYTES - 64 ? ['plain'] : [];
  const path = request.path.split('?')[0]!;
  formats.push(
    options.mode === 'builtin' && /^\/identity(?:\/|$)/i.test(path) ? 'keystone' : negotiateErrorFormat(headerValue(request, 'accept')),
  );
  return formats;
}

/**
 * The properties of one answer: never a 5xx; an X-Openstack-Request-Id; a JSON success body that
 * parses; and every 4xx in Glance's webob format for the request's Accept (Keystone's document
 * under /identity in builtin mode). Throws an Error naming the request otherwise.
 */
export function checkAnswer(request: WireRequest, answer: Answer, options: CheckOptions): void {
  const fail = (why: string): never => {
    throw new Error(
      `${why}\n  request (head ${headSize(request)} bytes): ${describeRequest(request)}\n  answer: ${answer.status} ${JSON.stringify(answer.headers)} ${JSON.stringify(answer.body.subarray(0, 600).toString('utf8'))}`,
    );
  };
  if (answer === CLOSED_WHILE_SENDING) return;
  const { status } = answer;
  if (status >= 500 || status < 200) fail(`status ${status}`);
  const requestId = answer.headers['x-openstack-request-id'];
  if (typeof requestId !== 'string' || !requestId.startsWith('req-')) fail('no X-Openstack-Request-Id');
  const type = answer.headers['content-type'];
  const text = answer.body.toString('utf8');
  if (status < 400) {
    if (type === 'application/json' && request.method !== 'HEAD') {
      try {
        JSON.parse(text);
      } catch {
        fail('a success whose JSON body does not parse');
      }
    }
    return;
  }
  if (request.method === 'HEAD') {
    if (answer.body.length > 0) fail('a body on a HEAD answer');
    return;
  }
  const formats = expectedErrorFormats(request, options);
  // Near the head size limit: plain when Node refused it, else as usual.
  const format = formats.length > 1 && type === 'text/plain; charset=UTF-8' ? 'plain' : formats.at(-1)!;
  checkErrorBody(format, status, type, text, fail);
}

function checkErrorBody(
  format: ErrorFormat | 'keystone',
  status: number,
  type: string | undefined,
  text: string,
  fail: (why: string) => never,
): void {
  const title = statusTitle(status);
  switch (format) {
    case 'keystone': {
      if (type !== 'application/json') fail(`Content-Type ${String(type)} for a Keystone error`);
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch {
        fail('a Keystone error that is not JSON');
      }
      const error = (document as { error?: { code?: unknown; title?: unknown; message?: unknown } }).error;
      if (error === undefined || error.code !== status || error.title !== title || typeof error.message !== 'string')
        fail('not Keystone\'s {"error": {code, title, message}}');
      const exact = `{"error": {"code": ${status}, "title": ${JSON.stringify(title)}, "message": ${JSON.stringify(error!.message)}}}`;
      if (text !== exact) fail('Keystone error document with other keys or layout');
      return;
    }
    case 'json': {
      if (type !== 'application/json') fail(`Content-Type ${String(type)} for a webob JSON error`);
      const match = WEBOB_JSON.exec(text);
      if (!match || Number(match[2]) !== status || match[3] !== title || match[4] !== title) fail("not webob's flat JSON error");
      const message = JSON.parse(match![1]!) as string;
      const suffix = status === 405 ? '<br /><br />\n' : '<br /><br />\n\n\n';
      if (!message.endsWith(suffix)) fail('webob JSON message without its <br /> suffix');
      if (renderWebobError(status, message.slice(0, -suffix.length), 'json').body !== text) fail('webob JSON error not byte-exact');
      return;
    }
    case 'html': {
      if (type !== 'text/html; charset=UTF-8') fail(`Content-Type ${String(type)} for a webob HTML error`);
      const line = `${status} ${title}`;
      const tail = status === 405 ? '<br /><br />\n\n </body>\n</html>' : '<br /><br />\n\n\n\n </body>\n</html>';
      if (!text.startsWith(`<html>\n <head>\n  <title>${line}</title>\n </head>\n <body>\n  <h1>${line}</h1>\n  `) || !text.endsWith(tail))
        fail("not webob's HTML error page");
      return;
    }
    case 'plain': {
      if (type !== 'text/plain; charset=UTF-8') fail(`Content-Type ${String(type)} for a webob plain error`);
      if (!text.startsWith(`${status} ${title}\n\n`) || !text.endsWith(status === 405 ? '\n\n ' : '\n\n   '))
        fail("not webob's plain error page");
      return;
    }
  }
}

// ---------------------------------------------------------------- text

/** UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD) as a latin1 string: the bytes on the wire. */
export const wire = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** Percent-encodes every byte of the UTF-8 form except RFC 3986's unreserved characters. */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The text as raw bytes in a URL: only what Node's client refuses (controls, space) is escaped. */
function rawUrlForm(text: string, keep: RegExp): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte <= 0x20 || !keep.test(char) ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : char;
  }
  return out;
}

const LONE_SURROGATE = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff');
const SPECIAL = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u0080',
  '\u0085',
  '\u00a0',
  '\u00ff',
  '\u0100',
  '\u2028',
  '\u2029',
  '\u202e',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '😀',
  '👩‍👩‍👧',
  'é',
  'e\u0301',
  'ÿ',
  'İ',
  'ß',
  '\u0130',
  '"',
  "'",
  '\\',
  '/',
  '%',
  '<',
  '>',
  '&',
  '\n',
  '\r',
  '\t',
  ' ',
  ',',
  ':',
  ';',
  '~',
  '?',
  '#',
  '[',
  ']',
  '{',
  '}',
  '+',
  '=',
  '*',
  '.',
  '..',
  '$',
  '`',
  '|',
  '^',
  '@',
  '!',
);
const NASTY_UNIT = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: LONE_SURROGATE },
  { weight: 3, arbitrary: SPECIAL },
);
const WORDS = fc.constantFrom(
  '',
  'null',
  'undefined',
  'NaN',
  'true',
  'false',
  '0',
  '-1',
  '1e308',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'admin',
  'member',
  'reader',
  'pending',
  'accepted',
  'rejected',
  'all',
  'shared',
  'public',
  'private',
  'community',
  'in:',
  'eq:',
  'gt:',
  'in:a,b',
  'in:"a,b"',
  'in:"',
  'asc',
  'desc',
  'name:asc',
  '2026-01-01T00:00:00Z',
  'p-owner',
  'p-member',
  '%00',
  '%ZZ',
  '%E0%A4%A',
  '%C3%28',
  '%FF',
  '\\u0000',
  '../../etc/passwd',
  'x'.repeat(256),
  '00000000-0000-0000-0000-000000000000',
  'SELECT 1;--',
  "' OR 1=1 --",
  '${jndi:x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
);
const LONG_TEXT = fc
  .tuple(
    fc.constantFrom('x', 'é', '😀', '%', ',', '\u0000', 'ab'),
    fc.oneof(fc.integer({ min: 250, max: 300 }), fc.integer({ min: 1000, max: 70_000 })),
  )
  .map(([piece, count]) => piece.repeat(count));

/** Short odd strings mostly, sometimes long ones. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: NASTY_UNIT, maxLength: 24 }) },
  { weight: 4, arbitrary: WORDS },
  { weight: 1, arbitrary: LONG_TEXT },
);

// ---------------------------------------------------------------- JSON bodies

/** A JSON value kept as text, so that duplicate keys, `__proto__` and odd numbers survive. */
type JsonText = string;

const KEYS = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'member',
      'status',
      'name',
      'id',
      'op',
      'path',
      'value',
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
      'auth',
      'identity',
      'methods',
      'password',
      'token',
      'user',
      'domain',
      'scope',
      'project',
      'system',
      'size',
      'checksum',
      'created_at',
      'os_glance_x',
      'kernel_id',
      'image_type',
      'add',
      'remove',
      'replace',
      '',
      ' ',
      'x'.repeat(256),
    ),
  },
  { weight: 2, arbitrary: nastyString },
);
const NUMBERS = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom(
    '0',
    '-0',
    '1e400',
    '-1e400',
    '1E-400',
    '123456789012345678901234567890',
    '9007199254740993',
    '2147483648',
    '-2147483649',
    '0.1',
    '1.0',
    '4294967296',
  ),
);
const LEAF: fc.Arbitrary<JsonText> = fc.oneof(
  fc.constantFrom('null', 'true', 'false'),
  NUMBERS,
  nastyString.map((s) => JSON.stringify(s)),
);
const { value: JSON_VALUE } = fc.letrec<{ value: JsonText; array: JsonText; object: JsonText }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 4 }, LEAF, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }).map((items) => `[${items.join(',')}]`),
  object: fc
    .array(fc.tuple(KEYS, tie('value')), { maxLength: 6 })
    .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
}));
export const jsonValue = JSON_VALUE;

const object = (...entries: Array<fc.Arbitrary<[string, JsonText] | undefined>>): fc.Arbitrary<JsonText> =>
  fc.tuple(...entries).map(
    (pairs) =>
      `{${pairs
        .filter((p): p is [string, JsonText] => p !== undefined)
        .map(([k, v]) => `${JSON.stringify(k)}: ${v}`)
        .join(', ')}}`,
  );
const maybe = (key: string, value: fc.Arbitrary<JsonText>): fc.Arbitrary<[string, JsonText] | undefined> =>
  fc.option(
    value.map((v): [string, JsonText] => [key, v]),
    { nil: undefined, freq: 2 },
  );
const str = (...values: string[]): fc.Arbitrary<JsonText> =>
  fc.oneof(
    fc.constantFrom(...values).map((v) => JSON.stringify(v)),
    JSON_VALUE,
  );

/** Deeply nested documents, alone or inside a plausible envelope. */
const DEEP = fc
  .tuple(
    fc.constantFrom('[', '{"a":', '[{"b":'),
    fc.integer({ min: 50, max: 150_000 }),
    fc.constantFrom('', '{"member": ', '{"status": ', '{"name": ', '{"auth": ', '[{"op": "add", "path": "/x", "value": ', '{"tags": '),
  )
  .map(([open, depth, envelope]) => {
    const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]';
    const inner = `${open.repeat(depth)}1${close.repeat(depth)}`;
    const closing = envelope === '' ? '' : envelope.startsWith('[') ? '}]' : '}';
    return `${envelope}${inner}${closing}`;
  });

/** Bodies shaped like each route's document, with generated values in every slot. */
export const memberCreateBody = fc.oneof(object(maybe('member', str('p-member', 'p-x', ''))), JSON_VALUE);
export const memberUpdateBody = fc.oneof(
  object(maybe('status', str('accepted', 'rejected', 'pending')), maybe('member', JSON_VALUE)),
  JSON_VALUE,
);
export const imageCreateBody = fc.oneof(
  object(
    maybe('name', str('fuzz')),
    maybe('visibility', str('shared', 'private', 'public', 'community')),
    maybe('disk_format', str('raw', 'qcow2')),
    maybe('container_format', str('bare')),
    maybe('min_ram', NUMBERS),
    maybe('min_disk', NUMBERS),
    maybe('protected', str('x')),
    maybe(
      'tags',
      fc.array(str('t'), { maxLength: 4 }).map((t) => `[${t.join(',')}]`),
    ),
    maybe('id', str('00000000-0000-4000-8000-000000000000')),
    maybe('owner', str('p-owner', 'p-other')),
    fc.option(fc.tuple(KEYS, JSON_VALUE), { nil: undefined }),
  ),
  JSON_VALUE,
);
const patchOperation = object(
  maybe('op', str('add', 'remove', 'replace', 'test', 'move')),
  maybe(
    'path',
    fc.oneof(
      str(
        '/name',
        '/tags',
        '/tags/0',
        '/locations/0',
        '/locations/-',
        '/visibility',
        '/protected',
        '/min_ram',
        '/x',
        '/a~1b',
        '/~2',
        '/',
        '//',
        '/os_glance_x',
      ),
      nastyString.map((s) => JSON.stringify(`/${s}`)),
    ),
  ),
  maybe('value', JSON_VALUE),
  maybe('add', str('/name')),
);
export const imagePatchBody = fc.oneof(
  fc.array(patchOperation, { maxLength: 4 }).map((ops) => `[${ops.join(', ')}]`),
  JSON_VALUE,
);
const reference = object(maybe('id', str('default', 'u-owner')), maybe('name', str('Default', 'owner')));
export const tokenBody = fc.oneof(
  object(
    maybe(
      'auth',
      object(
        maybe(
          'identity',
          object(
            maybe(
              'methods',
              fc.oneof(
                fc.array(str('password', 'token', 'totp'), { maxLength: 3 }).map((m) => `[${m.join(',')}]`),
                JSON_VALUE,
              ),
            ),
            maybe(
              'password',
              object(
                maybe(
                  'user',
                  object(
                    maybe('id', str('u-owner')),
                    maybe('name', str('owner')),
                    maybe('password', str('secret', '')),
                    maybe('domain', reference),
                  ),
                ),
              ),
            ),
            maybe('token', object(maybe('id', str('nope')))),
          ),
        ),
        maybe(
          'scope',
          fc.oneof(
            object(
              maybe('project', object(maybe('id', str('p-owner')), maybe('name', str('proj-owner')), maybe('domain', reference))),
              maybe('domain', reference),
              maybe('system', JSON_VALUE),
            ),
            str('unscoped'),
          ),
        ),
      ),
    ),
  ),
  JSON_VALUE,
);

/** Raw text variants of a JSON document: duplicates, BOMs, truncation, other encodings. */
export function jsonVariants(document: fc.Arbitrary<JsonText>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 6, arbitrary: document.map((text) => Buffer.from(text, 'utf8')) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(document, document)
        .map(([a, b]) =>
          Buffer.from(
            a.startsWith('{') && b.startsWith('{') && b.length > 2 ? `${a.slice(0, -1)}${a.length > 2 ? ',' : ''}${b.slice(1)}` : a,
            'utf8',
          ),
        ),
    },
    { weight: 1, arbitrary: document.map((text) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])) },
    {
      weight: 1,
      arbitrary: fc.tuple(document, fc.nat()).map(([text, cut]) => Buffer.from(text.slice(0, cut % (text.length + 1)), 'utf8')),
    },
    { weight: 1, arbitrary: document.map((text) => Buffer.from(text, 'utf16le')) },
    { weight: 1, arbitrary: DEEP.map((text) => Buffer.from(text, 'utf8')) },
  );
}

/** Bytes that are not JSON, or not even UTF-8. */
export const rawBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(
    Buffer.from([0xff, 0xfe, 0x7b, 0x00]),
    Buffer.from([0xc3, 0x28]),
    Buffer.from([0xe0, 0xa4]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
    Buffer.from('{"member": "\xff\xfe"}', 'latin1'),
    Buffer.from('{"status": "acc\xe9pted"}', 'latin1'),
    Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]),
    Buffer.from('\u0000'),
    Buffer.from('{"a":1}\u0000'),
    Buffer.from(' '),
    Buffer.alloc(0),
  ),
  fc.integer({ min: 1024, max: 1_200_000 }).map((n) => Buffer.alloc(n, 0x7b)),
);

// ---------------------------------------------------------------- paths and queries

const ODD_SEGMENTS = fc.constantFrom(
  '',
  '.',
  '..',
  '%2e',
  '%2E%2E',
  '.%2e',
  '%2F',
  '%2f..%2f',
  '%5C',
  '\\',
  '%00',
  '%ZZ',
  '%E0%A4%A',
  '%E0%A4',
  '%C3%28',
  '%FF%FE',
  '%',
  '%%',
  '%25',
  '%u0041',
  '%F0%9F%98%80',
  '%ED%A0%80',
  '%C0%AF',
  '%E2%80%AE',
  '~',
  ';x=1',
  'a;b',
  '*',
  ':id',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'members',
  'file',
  'images',
  'schemas',
  'v2',
  'identity',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e3',
  '+',
  '@',
  '!',
  '$',
  "'",
  '(',
  ')',
  ',',
  '&',
  '=',
  '[',
  ']',
  '{',
  '}',
  '|',
  '^',
  '`',
  '"',
  '<',
  '>',
);
/** A path segment as it goes on the wire (never contains `/`, `?` or `#` raw). */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: ODD_SEGMENTS },
  { weight: 4, arbitrary: nastyString.map(percentEncode) },
  { weight: 2, arbitrary: nastyString.map((s) => rawUrlForm(s, /[^/?#]/)) },
  { weight: 1, arbitrary: fc.integer({ min: 37, max: 20_000 }).map((n) => 'x'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFgzZ%'.split('')), maxLength: 3 }))
      .map(([s]) => `%${s}`),
  },
);

const QUERY_KEYS = fc.oneof(
  fc.constantFrom(
    'limit',
    'marker',
    'member_status',
    'visibility',
    'sort',
    'sort_key',
    'sort_dir',
    'tag',
    'name',
    'status',
    'owner',
    'id',
    'os_hidden',
    'protected',
    'size_min',
    'size_max',
    'min_ram',
    'created_at',
    'updated_at',
    'changes-since',
    'deleted',
    'checksum',
    'disk_format',
    'image_type',
    'nocatalog',
    'domain_id',
    'a[]',
    'a[b]',
    'a[b][c]',
    '__proto__',
    '__proto__[x]',
    'constructor[prototype][x]',
    '',
    '=',
  ),
  nastyString.map(percentEncode),
  nastyString.map((s) => rawUrlForm(s, /[^&=#]/)),
);
/** Integers as text, well past every column's range (int4, int8, doubles). */
const INTEGER_TEXT = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.constantFrom(
    '2147483647',
    '2147483648',
    '-2147483649',
    '9223372036854775807',
    '9223372036854775808',
    '-9223372036854775809',
    '1e3',
    '0x10',
    ' 5 ',
    '+5',
    '-0',
  ),
);
const QUERY_VALUES = fc.oneof(
  INTEGER_TEXT.map((s) => rawUrlForm(s, /[^&#]/)),
  fc.constantFrom(
    '',
    'all',
    'accepted',
    'pending',
    'shared',
    'public',
    'true',
    'TRUE',
    'asc',
    'name',
    'in:a,b',
    'in:"a',
    'gt:2026-01-01',
    '-1',
    '1001',
    '99999999999999999999',
    '1e3',
    '%ZZ',
    '%E0%A4%A',
    '%00',
  ),
  nastyString.map(percentEncode),
  nastyString.map((s) => rawUrlForm(s, /[^&#]/)),
  fc.integer({ min: 1000, max: 12_000 }).map((n) => 'v'.repeat(n)),
);
/** The numeric filters of the image list, with numbers of every size. */
const NUMERIC_PAIR = fc.tuple(
  fc.constantFrom(
    'size',
    'size_min',
    'size_max',
    'virtual_size',
    'virtual_size_min',
    'min_ram',
    'min_ram_min',
    'min_ram_max',
    'min_disk',
    'min_disk_min',
    'min_disk_max',
    'limit',
  ),
  INTEGER_TEXT.map((s): string | undefined => rawUrlForm(s, /[^&#]/)),
);
/** `?…`: repeated keys, `a[]`, `a[b]`, keys without `=`, odd separators. */
export const queryString: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.tuple(QUERY_KEYS, fc.option(QUERY_VALUES, { nil: undefined })) },
        { weight: 1, arbitrary: NUMERIC_PAIR },
      ),
      { maxLength: 6 },
    ),
    fc.constantFrom('&', '&', '&', ';', '&&'),
  )
  .map(([pairs, separator]) => `?${pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join(separator)}`);

// ---------------------------------------------------------------- headers and methods

/** Header values: short odd text mostly (past 16 KiB of headers Node answers 431 on its own). */
export const headerText: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.oneof(fc.string({ unit: NASTY_UNIT, maxLength: 40 }), WORDS).map((s) => headerSafe(s)) },
  { weight: 1, arbitrary: LONG_TEXT.map((s) => headerSafe(s).slice(0, 20_000)) },
);

const MEDIA = fc.constantFrom(
  'application/json',
  'text/html',
  'text/plain',
  '*/*',
  'application/*',
  'text/*',
  '*/json',
  'application/json; charset=utf-8',
  'application/openstack-images-v2.1-json-patch',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/x-www-form-urlencoded',
  'a/b/c',
  'json',
  '',
  ',',
  ';',
  ';q=',
  'application/json;q=0',
  'text/html;q=0.5',
  'application/json;q=1.0001',
  'application/json;q=-1',
  'application/json;q=abc',
  'text/html;level=1',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset="',
  'text/plain; charset=nope',
);
/** Accept and Content-Type values: media ranges, lists with q-values, garbage. */
export const mediaHeader: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: MEDIA },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.tuple(MEDIA, fc.option(fc.constantFrom('0', '0.5', '1', '0.001', '1.000', '2', 'x'), { nil: undefined })), {
        minLength: 1,
        maxLength: 4,
      })
      .map((items) => items.map(([m, q]) => (q === undefined ? m : `${m};q=${q}`)).join(', ')),
  },
  { weight: 1, arbitrary: headerText },
);

/** What Node's client accepts in a header value: the UTF-8 bytes, minus controls and DEL. */
export function headerSafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
  return wire(text).replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '?');
}

export const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'SEARCH',
  'PURGE',
  'QUERY',
  'CONNECT',
  'BREW',
  'X-CUSTOM',
];
export const method: fc.Arbitrary<string> = fc.constantFrom(...METHODS);

/** Request ids: valid, long (over Glance's 64), garbage. */
export const requestIdHeader: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('req-fixed', 'abc', ' ', 'req-', 'x'.repeat(64), 'x'.repeat(65), 'req-'.repeat(40)),
  headerText,
);

/** Other headers that change how a request is read. */
export const oddHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.constantFrom<[string, string]>(
    ['Content-Encoding', 'gzip'],
    ['Content-Encoding', 'deflate'],
    ['Content-Encoding', 'br'],
    ['Content-Encoding', 'identity'],
    ['Content-Encoding', 'x-nope'],
    ['Content-Encoding', 'gzip, gzip'],
    ['Expect', '100-continue'],
    ['Expect', 'x-nope'],
    ['Connection', 'Upgrade'],
    ['Upgrade', 'websocket'],
    ['Host', ''],
    ['Host', 'x'.repeat(300)],
    ['Range', 'bytes=0-1'],
    ['X-HTTP-Method-Override', 'DELETE'],
    ['X-Forwarded-For', 'x'],
    ['Cookie', '__proto__=x'],
    ['If-None-Match', '*'],
    ['X-Image-Meta-Name', 'x'],
    ['Authorization', 'Bearer x'],
    ['X-Service-Token', 'x'],
  ),
  fc.tuple(fc.constantFrom('X-Fuzz', 'Accept-Language', 'User-Agent', 'Referer', 'Origin'), headerText),
);
