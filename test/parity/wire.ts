/**
 * A raw HTTP/1.1 client for the parity suite. node:http is used rather than fetch because fetch
 * adds an `Accept` of any-type on its own, and the suite must control every header: no Accept at all, an
 * empty one, a body on a GET, a chunked POST.
 */
import { Agent, request } from 'node:http';

export interface WireRequest {
  method: string;
  /** Path and query, sent exactly as given (already percent-encoded). */
  path: string;
  headers: Record<string, string>;
  /** Sent with a Content-Length unless `chunked`. */
  body?: string;
  /** Send the body with `Transfer-Encoding: chunked` (no Content-Length). */
  chunked?: boolean;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** Destroys the kept-alive sockets so the test process can exit. */
export function closeConnections(): void {
  agent.destroy();
}

export function send(baseUrl: string, wire: WireRequest, timeoutMs = 60_000): Promise<WireResponse> {
  const base = new URL(baseUrl);
  const headers: Record<string, string> = { ...wire.headers };
  if (wire.body !== undefined && !wire.chunked) headers['Content-Length'] = String(Buffer.byteLength(wire.body));
  if (wire.chunked) headers['Transfer-Encoding'] = 'chunked';
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method: wire.method,
        path: wire.path,
        headers,
        agent,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const out: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            out[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${wire.method} ${baseUrl}${wire.path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (wire.body !== undefined) req.write(wire.body);
    req.end();
  });
}
