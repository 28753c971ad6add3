/**
 * The Node HTTP server around the app: the timeouts of the `http` configuration, and webob-style
 * answers for what Node refuses before the app sees a request. Without them Node answers an
 * empty 400, 408 or 431 without a request id, answers an unknown `Expect` with an empty 417, and
 * closes the connection on CONNECT without any answer. server.ts still does the listening.
 *
 * - headersTimeoutMs: the request line and headers must arrive within it (slow-loris defence);
 *   then 408 and the connection is closed. Each stalled client holds only its own socket: Node
 *   never blocks other clients on it.
 * - requestTimeoutMs: a bound on a whole request, body included. 0 by default, because an image
 *   upload streams for as long as the image is big; stalled bodies are caught by the idle timeout.
 * - idleTimeoutMs: a connection on which nothing is received or sent for this long is closed (a
 *   stalled upload or download).
 * - keepAliveTimeoutMs: how long an idle keep-alive connection waits for its next request.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { HttpConfig } from '../base/config.ts';
import { MethodNotAllowedError, statusTitle } from '../base/errors.ts';
import type { ErrorRenderer, RenderedErrorAnswer } from './error-render.ts';

/** webob's explanations for the statuses Node's parser produces. */
const PARSER_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'The request header fields were too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The server has waited too long for the request to be sent by the client.'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'The body of your request was too large for this server.'],
};
const BAD_REQUEST_TEXT = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';

export interface HttpServerOptions {
  http: HttpConfig;
  logger: Logger;
  /** The error renderer the app's error middleware uses (error-render.ts). */
  renderer: ErrorRenderer;
}

/**
 * A whole HTTP/1.1 error answer written straight to a socket; the connection closes after it.
 * A HEAD request gets the headers only, as from the app.
 */
function rawAnswer(answer: RenderedErrorAnswer, requestId: string, head: boolean): string {
  const { status, contentType, body } = answer;
  return (
    `HTTP/1.1 ${status} ${statusTitle(status)}\r\nContent-Type: ${contentType}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nX-Openstack-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${head ? '' : body}`
  );
}

export function createHttpServer(app: RequestListener, options: HttpServerOptions): Server {
  const { http, logger } = options;
  const server = createServer(
    {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      keepAliveTimeout: http.keepAliveTimeoutMs,
      // How often Node looks for requests past those timeouts (its default, 30 s, would let a
      // stalled client hold its socket for up to 30 s longer than configured).
      connectionsCheckingInterval: Math.min(1000, Math.ceil(http.headersTimeoutMs / 4)),
    },
    app,
  );
  server.timeout = http.idleTimeoutMs;

  // Nothing of the request is known here, so the renderer gives webob's default: plain text.
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Duplex) => {
    // As Node's own handler: never write into an answer already on its way.
    const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || current?.headersSent === true) {
      socket.destroy();
      return;
    }
    const [status, message] = PARSER_ERRORS[error.code ?? ''] ?? [400, BAD_REQUEST_TEXT];
    const requestId = `req-${randomUUID()}`;
    logger.info({ requestId, status, code: error.code }, 'request refused by the HTTP parser');
    // The refused bytes usually start with the request line: a HEAD answer carries no body.
    const head = error.rawPacket instanceof Buffer && error.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
    socket.end(
      rawAnswer(options.renderer.render(status, message, { path: undefined, accept: undefined, method: undefined }), requestId, head),
    );
  });

  // CONNECT would take the connection over as a tunnel; no resource here allows it.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    // Node no longer watches this socket: a client gone meanwhile must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    const requestId = `req-${randomUUID()}`;
    const path = (req.url ?? '').split('?')[0]!;
    const refused = new MethodNotAllowedError('CONNECT', []);
    const answer = options.renderer.render(405, refused.message, { path, accept: req.headers.accept, method: 'CONNECT' }, refused);
    logger.info({ requestId, method: 'CONNECT', path, status: 405 }, 'request');
    socket.end(rawAnswer(answer, requestId, false));
  });

  // An expectation other than 100-continue is ignored, as Glance's server does, not answered 417.
  server.on('checkExpectation', app);
  return server;
}
