/**
 * The load generator: a process of its own (forked by bench/run.ts, talking over IPC), so that it
 * never shares an event loop with a server it measures. Each message is one cell run: autocannon
 * for warm-up + measured time, of which only the measured part counts; per-response latencies are
 * recorded exactly (autocannon's own histogram rounds to whole milliseconds).
 */
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers: Record<string, string>;
  /** `add-members`: `{"member": "<prefix>-<n>"}` with pre-generated, never repeated ids; `flip-status`: accepted/rejected in turn. */
  body?: { kind: 'add-members'; prefix: string } | { kind: 'flip-status' };
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export interface LoadResult {
  /** 2xx responses per second of the measured run. */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  /** Responses that were not 2xx, by status. */
  failures: Record<string, number>;
  errors: number;
  timeouts: number;
  seconds: number;
}

type SetupRequest = (request: { body?: Buffer | string }) => { body?: Buffer | string };

/** A setupRequest that gives each request its body; bodies are built before the clock starts. */
function bodySource(spec: LoadSpec): SetupRequest | undefined {
  const body = spec.body;
  if (body === undefined) return undefined;
  if (body.kind === 'flip-status') {
    const bodies = [Buffer.from('{"status": "accepted"}'), Buffer.from('{"status": "rejected"}')];
    let n = 0;
    return (request) => {
      request.body = bodies[n++ % 2]!;
      return request;
    };
  }
  // Enough distinct members for ~25,000 requests/s through warm-up and run; more are made if needed.
  const perBatch = Math.ceil(25_000 * (spec.durationSeconds + spec.warmupSeconds + 1));
  const ids: Buffer[] = [];
  const more = (): void => {
    const start = ids.length;
    for (let i = start; i < start + perBatch; i++) ids.push(Buffer.from(JSON.stringify({ member: `${body.prefix}-${i}` })));
  };
  more();
  let n = 0;
  return (request) => {
    if (n >= ids.length) more();
    request.body = ids[n++]!;
    return request;
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * One autocannon run of warm-up + measured time over the same connections. Only responses that
 * arrive after the warm-up count (and only their latencies are kept); `onWarmedUp` runs when the
 * warm-up ends. One run rather than two: connections dropped between runs would leave their
 * requests running in a slow server (Glance), eating into the measured time.
 */
async function run(spec: LoadSpec, onWarmedUp: () => void): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let ok = 0;
  let measuring = spec.warmupSeconds <= 0;
  let measuredFrom = 0;
  const failures: Record<string, number> = {};
  const setupRequest = bodySource(spec);
  const request: Record<string, unknown> = { method: spec.method, path: spec.path, headers: spec.headers };
  if (setupRequest !== undefined) request['setupRequest'] = setupRequest;
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.warmupSeconds + spec.durationSeconds,
    pipelining: 1,
    timeout: 30,
    requests: [request],
  });
  const startedAt = performance.now();
  if (measuring) {
    measuredFrom = startedAt;
    onWarmedUp();
  } else {
    setTimeout(() => {
      measuring = true;
      measuredFrom = performance.now();
      onWarmedUp();
    }, spec.warmupSeconds * 1000);
  }
  let errors = 0;
  instance.on('reqError', () => {
    if (measuring) errors += 1;
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (!measuring) return;
    if (statusCode >= 200 && statusCode < 300) {
      if (ok === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[ok++] = responseTime;
    } else {
      failures[statusCode] = (failures[statusCode] ?? 0) + 1;
    }
  });
  const result = await instance;
  const seconds = (startedAt + result.duration * 1000 - measuredFrom) / 1000;
  const timeouts = result.timeouts;
  const sorted = latencies.slice(0, ok).sort();
  return {
    rps: ok / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    ok,
    failures,
    errors,
    timeouts,
    seconds,
  };
}

process.on('message', (message: { id: number; spec: LoadSpec }) => {
  run(message.spec, () => process.send!({ id: message.id, warmedUp: true })).then(
    (result) => process.send!({ id: message.id, result }),
    (error: unknown) => process.send!({ id: message.id, error: (error as Error).stack ?? String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
