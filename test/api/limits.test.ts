/**
 * The limits of the HTTP surface, each answered with its status in Glance's error format, against a
 * real server process (the header limit and the timeouts live in Node's HTTP server): JSON body
 * size (1 MiB → 413), URL length (8 KiB → 414), header size (16 KiB → 431), slow headers (408),
 * stalled bodies (idle timeout), keep-alive. Small timeouts are configured so that this runs fast.
 * Also the answers Node itself would give without body or request id (parser errors, CONNECT,
 * unknown Expect), which the fuzzer (fuzz-routes.test.ts) found.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import supertest from 'supertest';
import { MAX_JSON_BODY_BYTES } from '../../src/http/body.ts';
import { MAX_URL_LENGTH } from '../../src/http/request-guards.ts';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { OWNER, messageOf } from '../helpers/fixtures.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const HEADERS_TIMEOUT_MS = 1000;
const IDLE_TIMEOUT_MS = 1500;
const KEEP_ALIVE_TIMEOUT_MS = 600;

const PLAIN_431 = '431 Request Header Fields Too Large\n\nThe request header fields were too large\n\n   ';

interface Exchange {
  /** Everything the server sent, as latin1. */
  data: string;
  /** Milliseconds from the last write until the server closed the connection (undefined: still open at `waitMs`). */
  closedAfterMs: number | undefined;
}

/** Writes `chunks` on a raw connection (`pauseMs` apart), then waits up to `waitMs` for the server to close it. */
function exchange(url: string, chunks: Array<string | Buffer>, options: { pauseMs?: number; waitMs: number }): Promise<Exchange> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), '127.0.0.1');
    let data = '';
    let lastWrite = Date.now();
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closedAfterMs: Date.now() - lastWrite });
    });
    socket.on('connect', async () => {
      try {
        for (const [i, chunk] of chunks.entries()) {
          if (i > 0 && options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
          if (socket.destroyed) return;
          socket.write(chunk);
          lastWrite = Date.now();
        }
        timer = setTimeout(() => {
          socket.removeAllListeners('close');
          socket.destroy();
          resolve({ data, closedAfterMs: undefined });
        }, options.waitMs);
      } catch (error) {
        reject(error);
      }
    });
  });
}

const statusLine = (data: string): string => data.split('\r\n')[0] ?? '';
const headerOf = (data: string, name: string): string | undefined =>
  new RegExp(`^${name}: (.*)$`, 'im').exec(data.split('\r\n\r\n')[0] ?? '')?.[1];
const bodyOf = (data: string): string => Buffer.from(data.split('\r\n\r\n').slice(1).join('\r\n\r\n'), 'latin1').toString('utf8');

const ownerHead = (method: string, path: string, extra = ''): string =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\nX-Identity-Status: Confirmed\r\nX-Project-Id: p-owner\r\nX-Roles: member,reader\r\n${extra}`;

describe('limits (trusted-headers, one server process with short timeouts)', () => {
  let t: TestApp;
  let server: ServerProcess;
  let agent: ReturnType<typeof supertest>;
  let imageId: string;

  before(async () => {
    t = await buildApp({
      auth: { mode: 'trusted-headers' },
      http: { headersTimeoutMs: HEADERS_TIMEOUT_MS, idleTimeoutMs: IDLE_TIMEOUT_MS, keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS },
    });
    server = await startServer(t.sharedConfig(), join(t.dataDir, 'limits-config.json'));
    agent = supertest(server.url);
    const created = await agent.post('/v2/images').set(OWNER).send({ name: 'limits', disk_format: 'raw', container_format: 'bare' });
    assert.equal(created.status, 201, created.text);
    imageId = String(created.body.id);
  });
  after(async () => {
    await server.stop();
    await t.close();
  });

  /** The server still answers a normal request. */
  async function assertServing(): Promise<void> {
    assert.equal(server.child.exitCode, null, 'the server process exited');
    const res = await agent.get(`/v2/images/${imageId}`).set(OWNER);
    assert.equal(res.status, 200, res.text);
  }

  describe('JSON body size', () => {
    /** `{"member": "p-limit", "pad": "xxx…"}` of exactly `size` bytes. */
    const body = (size: number): string => {
      const head = '{"member": "p-limit", "pad": "';
      return `${head}${'x'.repeat(size - head.length - 2)}"}`;
    };

    it(`a body of exactly ${MAX_JSON_BODY_BYTES} bytes is read`, async () => {
      const res = await agent
        .post(`/v2/images/${imageId}/members`)
        .set(OWNER)
        .set('Content-Type', 'application/json')
        .send(body(MAX_JSON_BODY_BYTES));
      assert.equal(res.status, 200, res.text.slice(0, 300));
      await agent.delete(`/v2/images/${imageId}/members/p-limit`).set(OWNER).expect(204);
    });

    it("one byte more is 413 in Glance's format, with Content-Length or chunked", async () => {
      const res = await agent
        .post(`/v2/images/${imageId}/members`)
        .set(OWNER)
        .set('Content-Type', 'application/json')
        .send(body(MAX_JSON_BODY_BYTES + 1));
      assert.equal(res.status, 413);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.deepEqual(Object.keys(res.body), ['message', 'code', 'title']);
      assert.equal(res.body.code, '413 Request Entity Too Large');
      assert.equal(messageOf(res.body), 'The request body is too large.');
      assert.match(String(res.headers['x-openstack-request-id']), /^req-/);

      const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const url = new URL(`${server.url}/v2/images/${imageId}/members`);
        const req = http.request(url, { method: 'POST', headers: { ...OWNER, 'Transfer-Encoding': 'chunked' } }, (answer) => {
          let text = '';
          answer.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          answer.on('end', () => resolve({ status: answer.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        const text = body(MAX_JSON_BODY_BYTES + 1);
        for (let i = 0; i < text.length; i += 64 * 1024) req.write(text.slice(i, i + 64 * 1024));
        req.end();
      });
      assert.equal(chunked.status, 413);
      assert.equal(messageOf(JSON.parse(chunked.text)), 'The request body is too large.');
      await assertServing();
    });
  });

  describe('URL length', () => {
    const listUrl = (length: number): string => {
      const head = '/v2/images?name=';
      return `${head}${'n'.repeat(length - head.length)}`;
    };

    it(`a URL of ${MAX_URL_LENGTH} characters is served`, async () => {
      const res = await agent.get(listUrl(MAX_URL_LENGTH)).set(OWNER);
      assert.equal(res.status, 200, res.text.slice(0, 300));
    });

    it('one character more is 414 in every negotiated format', async () => {
      const url = listUrl(MAX_URL_LENGTH + 1);
      const json = await agent.get(url).set(OWNER);
      assert.equal(json.status, 414);
      assert.equal(
        json.text,
        '{"message": "The request URI was too long for this server.<br /><br />\\n\\n\\n", "code": "414 Request-URI Too Long", "title": "Request-URI Too Long"}',
      );
      const { Accept: _accept, ...noAccept } = OWNER;
      const plain = await agent.get(url).set(noAccept);
      assert.equal(plain.status, 414);
      assert.equal(plain.text, '414 Request-URI Too Long\n\nThe request URI was too long for this server.\n\n   ');
      const html = await agent.get(url).set(OWNER).set('Accept', '*/*');
      assert.equal(html.headers['content-type'], 'text/html; charset=UTF-8');
      assert.match(html.text, /<title>414 Request-URI Too Long<\/title>/);
      // Refused before authentication: no identity needed to be told.
      assert.equal((await agent.get(url)).status, 414);
    });

    it("past Node's 16 KiB header limit the request line gets Node's 431, in webob's plain format, and the server goes on", async () => {
      const { data } = await exchange(server.url, [`GET /v2/images?name=${'n'.repeat(17 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`], {
        waitMs: 5000,
      });
      assert.equal(statusLine(data), 'HTTP/1.1 431 Request Header Fields Too Large');
      assert.equal(bodyOf(data), PLAIN_431);
      await assertServing();
    });
  });

  describe('header size', () => {
    it('15 KiB of headers are read; 17 KiB get 431 with a webob page, a request id and a closed connection; the server goes on', async () => {
      const fits = await agent
        .get(`/v2/images/${imageId}`)
        .set(OWNER)
        .set('X-Padding', 'p'.repeat(15 * 1024));
      assert.equal(fits.status, 200);

      const { data, closedAfterMs } = await exchange(
        server.url,
        [ownerHead('GET', `/v2/images/${imageId}`, `X-Padding: ${'p'.repeat(17 * 1024)}\r\n\r\n`)],
        { waitMs: 5000 },
      );
      assert.equal(statusLine(data), 'HTTP/1.1 431 Request Header Fields Too Large');
      assert.equal(headerOf(data, 'Content-Type'), 'text/plain; charset=UTF-8');
      assert.equal(headerOf(data, 'Connection'), 'close');
      assert.match(headerOf(data, 'X-Openstack-Request-Id') ?? '', /^req-[0-9a-f-]{36}$/);
      assert.equal(bodyOf(data), PLAIN_431);
      assert.notEqual(closedAfterMs, undefined, 'the connection is closed');

      // HEAD gets the status and headers only.
      const head = await exchange(server.url, [ownerHead('HEAD', `/v2/images/${imageId}`, `X-Padding: ${'p'.repeat(17 * 1024)}\r\n\r\n`)], {
        waitMs: 5000,
      });
      assert.equal(statusLine(head.data), 'HTTP/1.1 431 Request Header Fields Too Large');
      assert.equal(bodyOf(head.data), '');
      await assertServing();
    });

    it("a request Node cannot parse gets 400 in webob's plain format with a request id (not an empty answer)", async () => {
      for (const request of [
        'GET /v2/images/caf\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n',
        'BREW /v2/images HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      ]) {
        const { data } = await exchange(server.url, [Buffer.from(request, 'latin1')], { waitMs: 5000 });
        assert.equal(statusLine(data), 'HTTP/1.1 400 Bad Request', request);
        assert.match(headerOf(data, 'X-Openstack-Request-Id') ?? '', /^req-/);
        assert.equal(
          bodyOf(data),
          '400 Bad Request\n\nThe server could not comply with the request since it is either malformed or otherwise incorrect.\n\n   ',
        );
      }
      await assertServing();
    });
  });

  describe('methods and expectations Node answers on its own', () => {
    it("CONNECT gets webob's 405 for the negotiated Accept instead of a dropped connection", async () => {
      const { data } = await exchange(server.url, [ownerHead('CONNECT', `/v2/images/${imageId}`, 'Accept: application/json\r\n\r\n')], {
        waitMs: 5000,
      });
      assert.equal(statusLine(data), 'HTTP/1.1 405 Method Not Allowed');
      assert.match(headerOf(data, 'X-Openstack-Request-Id') ?? '', /^req-/);
      assert.equal(
        bodyOf(data),
        '{"message": "The method CONNECT is not allowed for this resource. <br /><br />\\n", "code": "405 Method Not Allowed", "title": "Method Not Allowed"}',
      );
      await assertServing();
    });

    it('an Expect other than 100-continue is ignored, as by Glance, instead of an empty 417', async () => {
      const found = await exchange(
        server.url,
        [ownerHead('GET', `/v2/images/${imageId}`, 'Expect: x-unknown\r\nConnection: close\r\n\r\n')],
        { waitMs: 5000 },
      );
      assert.equal(statusLine(found.data), 'HTTP/1.1 200 OK');
      const missing = await exchange(
        server.url,
        [ownerHead('GET', '/v2/images/nope', 'Expect: x-unknown\r\nAccept: application/json\r\nConnection: close\r\n\r\n')],
        { waitMs: 5000 },
      );
      assert.equal(statusLine(missing.data), 'HTTP/1.1 404 Not Found');
      assert.equal(messageOf(JSON.parse(bodyOf(missing.data))), 'No image found with ID nope');
    });
  });

  describe('slow clients', () => {
    it(`headers that stall get 408 in webob's plain format within the headers timeout (${HEADERS_TIMEOUT_MS} ms) and the connection is closed`, async () => {
      const started = Date.now();
      const { data, closedAfterMs } = await exchange(server.url, ['GET /v2/images HTTP/1.1\r\nHost: x\r\nX-Identity-'], { waitMs: 10_000 });
      const elapsed = Date.now() - started;
      assert.notEqual(closedAfterMs, undefined, 'the connection is closed');
      assert.equal(statusLine(data), 'HTTP/1.1 408 Request Timeout');
      assert.equal(bodyOf(data), '408 Request Timeout\n\nThe server has waited too long for the request to be sent by the client.\n\n   ');
      assert.ok(elapsed >= HEADERS_TIMEOUT_MS - 100, `closed after ${elapsed} ms`);
      // The timeout plus Node's checking interval (at most 1 s), with slack for a busy machine.
      assert.ok(elapsed < HEADERS_TIMEOUT_MS + 4000, `closed after ${elapsed} ms`);
    });

    it('headers trickled a byte at a time still hit the headers timeout (it bounds the whole head, not the gaps)', async () => {
      const head = 'GET /v2/images HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'y'.repeat(40);
      const started = Date.now();
      const { data } = await exchange(server.url, head.split(''), { pauseMs: 100, waitMs: 10_000 });
      assert.equal(statusLine(data), 'HTTP/1.1 408 Request Timeout');
      assert.ok(Date.now() - started < HEADERS_TIMEOUT_MS + 4000);
    });

    it('slow-loris clients do not block others: 30 stalled connections, and a normal request is answered at once', async () => {
      const stalled = Array.from({ length: 30 }, () =>
        exchange(server.url, ['GET /v2/images HTTP/1.1\r\nHost: x\r\n'], { waitMs: 10_000 }),
      );
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await assertServing();
      assert.ok(Date.now() - started < 1000, `a normal request took ${Date.now() - started} ms`);
      const answers = await Promise.all(stalled);
      assert.ok(
        answers.every((a) => statusLine(a.data) === 'HTTP/1.1 408 Request Timeout'),
        'each stalled client gets its 408',
      );
    });

    it(`an upload that stalls is closed after the idle timeout (${IDLE_TIMEOUT_MS} ms) and the image goes back to queued`, async () => {
      const created = await agent.post('/v2/images').set(OWNER).send({ name: 'stalled', disk_format: 'raw', container_format: 'bare' });
      const id = String(created.body.id);
      const head = ownerHead('PUT', `/v2/images/${id}/file`, 'Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n');
      const { data, closedAfterMs } = await exchange(server.url, [head, 'x'.repeat(10)], { pauseMs: 50, waitMs: 15_000 });
      assert.equal(data, '', 'no answer: the request never completed');
      assert.ok(
        closedAfterMs !== undefined && closedAfterMs >= IDLE_TIMEOUT_MS - 100 && closedAfterMs < IDLE_TIMEOUT_MS + 4000,
        `closed after ${closedAfterMs} ms`,
      );
      let status = '';
      for (let i = 0; i < 50 && status !== 'queued'; i += 1) {
        status = String((await agent.get(`/v2/images/${id}`).set(OWNER)).body.status);
        if (status !== 'queued') await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 'queued');
      await assertServing();
    });

    it('an upload that is slow but steady is never cut off: no whole-request timeout, the idle timer restarts with each chunk', async () => {
      const created = await agent.post('/v2/images').set(OWNER).send({ name: 'steady', disk_format: 'raw', container_format: 'bare' });
      const id = String(created.body.id);
      const chunks = 8;
      const head = ownerHead(
        'PUT',
        `/v2/images/${id}/file`,
        `Content-Type: application/octet-stream\r\nContent-Length: ${chunks * 100}\r\nConnection: close\r\n\r\n`,
      );
      // 8 pauses of 400 ms: longer in all than the headers and idle timeouts, each gap shorter.
      const { data } = await exchange(server.url, [head, ...Array.from({ length: chunks }, () => 'z'.repeat(100))], {
        pauseMs: 400,
        waitMs: 10_000,
      });
      assert.equal(statusLine(data), 'HTTP/1.1 204 No Content');
      const image = await agent.get(`/v2/images/${id}`).set(OWNER);
      assert.equal(image.body.status, 'active');
      assert.equal(image.body.size, chunks * 100);
    });

    it(`an idle keep-alive connection is closed after the keep-alive timeout (${KEEP_ALIVE_TIMEOUT_MS} ms)`, async () => {
      const { data, closedAfterMs } = await exchange(server.url, [ownerHead('GET', `/v2/images/${imageId}`, '\r\n')], { waitMs: 10_000 });
      assert.equal(statusLine(data), 'HTTP/1.1 200 OK');
      assert.match(headerOf(data, 'Keep-Alive') ?? '', /timeout=\d/);
      assert.ok(
        closedAfterMs !== undefined && closedAfterMs >= KEEP_ALIVE_TIMEOUT_MS - 100 && closedAfterMs < KEEP_ALIVE_TIMEOUT_MS + 4000,
        `closed after ${closedAfterMs} ms`,
      );
    });
  });
});

describe('limits under /identity are Keystone documents (builtin)', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({ auth: { mode: 'builtin' } });
  });
  after(() => t.close());

  it('a URL over the limit, a NUL in the URL and an over-long request id answer {"error": …}', async () => {
    const long = await t.request.get(`/identity/v3/projects?name=${'n'.repeat(MAX_URL_LENGTH)}`);
    assert.equal(long.status, 414);
    assert.equal(
      long.text,
      '{"error": {"code": 414, "title": "Request-URI Too Long", "message": "The request URI was too long for this server."}}',
    );
    const nul = await t.request.get('/identity/v3/projects/%00');
    assert.equal(nul.status, 400);
    assert.equal(
      nul.text,
      '{"error": {"code": 400, "title": "Bad Request", "message": "NUL characters are not allowed in request URLs."}}',
    );
    const requestId = await t.request.get('/identity/v3').set('X-Openstack-Request-Id', 'x'.repeat(65));
    assert.equal(requestId.status, 431);
    assert.equal(requestId.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(requestId.text).error.code, 431);
    // Elsewhere the same limits stay webob pages.
    const webob = await t.request.get(`/v2/images?name=${'n'.repeat(MAX_URL_LENGTH)}`);
    assert.equal(webob.text, '414 Request-URI Too Long\n\nThe request URI was too long for this server.\n\n   ');
  });
});
