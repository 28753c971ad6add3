/**
 * `npm run bench [-- OPTIONS]`: starts what it measures, loads it from a second process
 * (bench/load-worker.ts, autocannon) on loopback, and prints requests/second and p50/p99 latency
 * per cell, the ratios the performance issue sets as targets, and PASS/MISS for each.
 *
 * Targets, all running side by side for the whole run and measured in turn (repeat 1 of every
 * cell, then repeat 2, …), so that a noisy machine hurts them alike:
 *   bare-express        the ceiling: a constant member / 128-member body (bench/bare-server.ts)
 *   glance              the real Glance 25.1, one worker, SQLite, unlimited members, header identity
 *   sqlite-builtin      glance-share on SQLite, built-in identity tokens (X-Auth-Token)
 *   sqlite-keystone     glance-share on SQLite, tokens validated by a real Keystone, cache warm
 *   pg-builtin, pg-keystone   the same on PostgreSQL
 *
 * Options: --quick (1 s cells, 0.5 s warm-up, one repeat), --duration S, --warmup S, --repeats N,
 * --connections N, --no-keystone, --no-glance, --no-pg, --targets a,b (names above),
 * --ops list,show,add,update,images-1k,images-100k, --cpu-prof DIR (glance-share targets write a
 * CPU profile there when they stop), --sqlite-pool N, --sqlite-readers N (the SQLite servers'
 * database.pool.max and database.readers), --keep (keep the work directory with the servers' logs).
 *
 * PostgreSQL: TEST_PG_URL if set, else the run re-executes itself under scripts/with-postgres.sh
 * (a throwaway server, removed afterwards). Everything started is stopped, whatever happens.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword } from '../src/identity/services/password-hash.ts';
import { startKeystone, type KeystonePeer } from '../test/helpers/keystone-peer.ts';
import type { LoadResult, LoadSpec } from './load-worker.ts';
import { freePort, projectRoot, startBare, startGlance, startGlanceShare, type Proc } from './peers.ts';
import { addImageId, createBenchPgDatabase, createDb, MEMBERS_IMAGE, otherMembers, seed, type BenchProjects } from './seed.ts';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    repeats: { type: 'string' },
    connections: { type: 'string', default: '32' },
    'no-keystone': { type: 'boolean', default: false },
    'no-glance': { type: 'boolean', default: false },
    'no-pg': { type: 'boolean', default: false },
    targets: { type: 'string' },
    ops: { type: 'string' },
    'cpu-prof': { type: 'string' },
    keep: { type: 'boolean', default: false },
    'shared-images': { type: 'string', default: '100000' },
    'sqlite-pool': { type: 'string' },
    'sqlite-readers': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
  },
});

const DURATION = Number(opts.duration ?? (opts.quick ? 1 : 5));
const WARMUP = Number(opts.warmup ?? (opts.quick ? 0.5 : 1));
const REPEATS = Number(opts.repeats ?? (opts.quick ? 1 : 3));
const CONNECTIONS = Number(opts.connections);
const SHARED = Number(opts['shared-images']);
const SPARSE_EVERY = 100;
const PASSWORD = 'bench-password';

type Op = 'list' | 'show' | 'add' | 'update' | 'images-1k' | 'images-100k' | 'const-member' | 'const-members';
const MEMBER_OPS: Op[] = ['list', 'show', 'add', 'update'];
const OP_LABEL: Record<Op, string> = {
  list: 'GET  /v2/images/{id}/members (128)',
  show: 'GET  /v2/images/{id}/members/{m}',
  add: 'POST /v2/images/{id}/members',
  update: 'PUT  /v2/images/{id}/members/{m}',
  'images-1k': 'GET  /v2/images shared, 1,000',
  'images-100k': `GET  /v2/images shared, ${SHARED.toLocaleString('en-US')}`,
  'const-member': 'GET  constant member',
  'const-members': 'GET  constant 128-member list',
};

/** Debian's PostgreSQL server binaries, which scripts/with-postgres.sh needs. */
function pgAvailable(): boolean {
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((version) => existsSync(join(root, version, 'bin', 'initdb')));
}

interface Target {
  name: string;
  proc: Proc;
  /** Request headers per project role. */
  headers: { owner: Record<string, string>; member: Record<string, string>; sparse: Record<string, string> };
  ops: Op[];
  /** The image to add members to in the next `add` run. */
  nextAddImage(): Promise<string>;
  membersImage: string;
  memberId: string;
}

interface Cell {
  target: string;
  op: Op;
  runs: Array<LoadResult & { cpuMsPerRequest: number }>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * CPU seconds (user + system) used so far by `pid` and every process below it (Glance's worker,
 * SQLite's threads are inside the node process; a PostgreSQL server's backends are not counted).
 */
function cpuSeconds(pid: number): number {
  const children = new Map<number, number[]>();
  const used = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name is in parentheses and may contain spaces: fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    used.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const next = stack.pop()!;
    total += used.get(next) ?? 0;
    stack.push(...(children.get(next) ?? []));
  }
  return total;
}
const CLOCK_TICKS = 100;

/** Waits until the process tree of `pid` uses under 10 % of a core over a quarter second (at most 60 s). */
async function waitIdle(pid: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let before = cpuSeconds(pid);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = cpuSeconds(pid);
    if (now - before < 0.025) return;
    before = now;
  }
}

/** Milliseconds with two decimals; '-' when a run had no successful response (NaN travels over IPC as null). */
const ms = (value: number | null): string => (value === null || Number.isNaN(value) ? '-' : value.toFixed(2));
const fmtLoad = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(withPg: boolean): Promise<void> {
  const wanted = (name: string): boolean => opts.targets === undefined || opts.targets.split(',').includes(name);
  const wantedOps = opts.ops === undefined ? undefined : new Set(opts.ops.split(','));
  const withKeystone =
    !opts['no-keystone'] && existsSync('/usr/bin/keystone-manage') && (wanted('sqlite-keystone') || wanted('pg-keystone'));
  const withGlance = !opts['no-glance'] && wanted('glance');

  const work = mkdtempSync(join(tmpdir(), 'glance-share-bench-'));
  const cpuProfDir = opts['cpu-prof'] === undefined ? undefined : resolve(opts['cpu-prof']);
  if (cpuProfDir !== undefined) mkdirSync(cpuProfDir, { recursive: true });
  const started: Array<{ stop(): Promise<void> }> = [];
  const cleanups: Array<() => Promise<void>> = [];
  let worker: ChildProcess | undefined;
  // One cleanup, however it is reached (the end, an error, a signal); every caller waits for all of it.
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      worker?.kill('SIGTERM');
      for (const proc of started.reverse())
        await proc.stop().catch((error: unknown) => process.stderr.write(`bench: stop failed: ${String(error)}\n`));
      for (const step of cleanups.reverse())
        await step().catch((error: unknown) => process.stderr.write(`bench: cleanup failed: ${String(error)}\n`));
      if (!opts.keep) rmSync(work, { recursive: true, force: true });
      else process.stdout.write(`work directory kept: ${work}\n`);
    })();
    return cleaning;
  };
  const onSignal = (): void => {
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const out = (line = ''): void => {
    process.stdout.write(`${line}\n`);
  };
  out(`glance-share benchmark — ${new Date().toISOString()}`);
  out(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}; load average at start: ${fmtLoad()}`);
  out(`cells: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s measured, ${REPEATS} repeat(s), medians reported`);

  try {
    // Keystone first: its project ids are the members in every glance-share database.
    let keystone: KeystonePeer | undefined;
    const ksPort = await freePort();
    if (withKeystone) {
      const t0 = Date.now();
      keystone = await startKeystone(`http://127.0.0.1:${ksPort}`);
      started.push({ stop: () => keystone!.stop() });
      out(`Keystone 22 started in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    const projectId = (name: string): string => keystone?.ids.projects[name] ?? name;
    const projects: BenchProjects = { owner: projectId('proj-a'), member: projectId('proj-b'), sparse: projectId('proj-c') };
    const users = { owner: 'alice', member: 'bob', sparse: 'carol' } as const;
    const passwordHash = await hashPassword(PASSWORD);
    const identity = {
      mode: 'builtin',
      domains: [{ id: 'default', name: 'Default' }],
      projects: (['owner', 'member', 'sparse'] as const).map((role) => ({ id: projects[role], name: `proj-${role}`, domain: 'default' })),
      users: Object.values(users).map((name) => ({ id: name, name, domain: 'default', passwordHash })),
      roleAssignments: (['owner', 'member', 'sparse'] as const).map((role) => ({
        user: users[role],
        project: projects[role],
        roles: ['member', 'reader'],
      })),
    };

    // One database per engine, shared by the builtin and keystone servers of that engine.
    const addImages = 64;
    const engines: Array<{ engine: 'sqlite' | 'pg'; database: Record<string, unknown> }> = [];
    if (wanted('sqlite-builtin') || wanted('sqlite-keystone'))
      engines.push({ engine: 'sqlite', database: { client: 'sqlite3', filename: join(work, 'bench.sqlite') } });
    if (withPg && (wanted('pg-builtin') || wanted('pg-keystone'))) {
      const pg = await createBenchPgDatabase(process.env['TEST_PG_URL']!);
      cleanups.push(() => pg.drop());
      engines.push({ engine: 'pg', database: { client: 'pg', url: pg.url } });
    }
    for (const { engine, database } of engines) {
      const db = createDb(
        engine === 'sqlite'
          ? { client: 'sqlite3', filename: String(database['filename']), readers: 0 }
          : { client: 'pg', filename: '', url: String(database['url']), readers: 0 },
      );
      try {
        const took = await seed(db, projects, { sharedImages: SHARED, sparseEvery: SPARSE_EVERY, addImages });
        out(
          `${engine}: seeded ${SHARED.toLocaleString('en-US')} shared images (+${(SHARED / SPARSE_EVERY).toLocaleString('en-US')} for the second project), 128 members, ${addImages} add images in ${(took / 1000).toFixed(1)} s`,
        );
      } finally {
        await db.destroy();
      }
    }

    const targets: Target[] = [];

    const bare = await startBare(work);
    started.push(bare);
    targets.push({
      name: 'bare-express',
      proc: bare,
      headers: { owner: {}, member: {}, sparse: {} },
      ops: ['const-member', 'const-members'],
      nextAddImage: () => Promise.reject(new Error('no adds')),
      membersImage: '',
      memberId: '',
    });

    if (withGlance) {
      const glance = await startGlance(work);
      started.push(glance);
      const as = (project: string): Record<string, string> => ({
        'X-Identity-Status': 'Confirmed',
        'X-Project-Id': project,
        'X-User-Id': `${project}-user`,
        'X-Roles': 'member,reader',
        'Content-Type': 'application/json',
      });
      const headers = { owner: as(projects.owner), member: as(projects.member), sparse: as(projects.sparse) };
      const createImage = async (name: string): Promise<string> => {
        const response = await fetch(`${glance.url}/v2/images`, {
          method: 'POST',
          headers: headers.owner,
          body: JSON.stringify({ name, visibility: 'shared', disk_format: 'raw', container_format: 'bare' }),
        });
        if (response.status !== 201) throw new Error(`Glance refused to create an image: ${response.status} ${await response.text()}`);
        return ((await response.json()) as { id: string }).id;
      };
      const membersImage = await createImage('bench-members');
      for (const member of [projects.member, ...otherMembers()]) {
        const response = await fetch(`${glance.url}/v2/images/${membersImage}/members`, {
          method: 'POST',
          headers: headers.owner,
          body: JSON.stringify({ member }),
        });
        if (response.status !== 200) throw new Error(`Glance refused a member: ${response.status} ${await response.text()}`);
      }
      targets.push({
        name: 'glance',
        proc: glance,
        headers,
        ops: MEMBER_OPS,
        nextAddImage: () => createImage('bench-add'),
        membersImage,
        memberId: projects.member,
      });
      out(`Glance 25.1 started (pid ${glance.pid}) and seeded over HTTP: 1 image with 128 members`);
    }

    let addCounter = 0;
    for (const { engine, database } of engines) {
      for (const mode of ['builtin', 'keystone'] as const) {
        const name = `${engine}-${mode}`;
        if (!wanted(name) || (mode === 'keystone' && keystone === undefined)) continue;
        const port = engine === 'sqlite' && mode === 'keystone' ? ksPort : await freePort();
        const config = {
          logLevel: opts['log-level'],
          dataDir: join(work, name),
          database:
            engine !== 'sqlite'
              ? database
              : {
                  ...database,
                  ...(opts['sqlite-pool'] === undefined ? {} : { pool: { max: Number(opts['sqlite-pool']) } }),
                  ...(opts['sqlite-readers'] === undefined ? {} : { readers: Number(opts['sqlite-readers']) }),
                },
          migrateOnStart: false,
          memberLimits: { default: -1, rules: [] },
          auth: mode === 'builtin' ? identity : { ...identity, ...keystone!.authConfig() },
        };
        const proc = await startGlanceShare(name, config, work, port, cpuProfDir);
        started.push(proc);
        const tokenFor = async (role: 'owner' | 'member' | 'sparse'): Promise<string> => {
          if (mode === 'keystone') return keystone!.issueToken(users[role]);
          const response = await fetch(`${proc.url}/identity/v3/auth/tokens`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({
              auth: {
                identity: {
                  methods: ['password'],
                  password: { user: { name: users[role], domain: { id: 'default' }, password: PASSWORD } },
                },
                scope: { project: { id: projects[role] } },
              },
            }),
          });
          const token = response.headers.get('x-subject-token');
          await response.arrayBuffer();
          if (response.status !== 201 || token === null) throw new Error(`${name}: no token for ${users[role]}: ${response.status}`);
          return token;
        };
        const headersFor = async (role: 'owner' | 'member' | 'sparse'): Promise<Record<string, string>> => ({
          'X-Auth-Token': await tokenFor(role),
          'Content-Type': 'application/json',
        });
        targets.push({
          name,
          proc,
          headers: { owner: await headersFor('owner'), member: await headersFor('member'), sparse: await headersFor('sparse') },
          ops: [...MEMBER_OPS, 'images-1k', 'images-100k'],
          nextAddImage: () => {
            addCounter += 1;
            if (addCounter > addImages) throw new Error('out of add images');
            return Promise.resolve(addImageId(addCounter));
          },
          membersImage: MEMBERS_IMAGE,
          memberId: projects.member,
        });
      }
    }

    // The cells: what each target is asked.
    const specFor = async (target: Target, op: Op, run: string): Promise<LoadSpec> => {
      const base = { url: target.proc.url, connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP };
      const members = `/v2/images/${target.membersImage}/members`;
      const listImages = '/v2/images?member_status=all&visibility=shared&limit=25';
      switch (op) {
        case 'const-member':
          return { ...base, method: 'GET', path: '/member', headers: {} };
        case 'const-members':
          return { ...base, method: 'GET', path: '/members', headers: {} };
        case 'list':
          return { ...base, method: 'GET', path: members, headers: target.headers.owner };
        case 'show':
          return { ...base, method: 'GET', path: `${members}/${target.memberId}`, headers: target.headers.owner };
        case 'update':
          return {
            ...base,
            method: 'PUT',
            path: `${members}/${target.memberId}`,
            headers: target.headers.member,
            body: { kind: 'flip-status' },
          };
        case 'add':
          return {
            ...base,
            method: 'POST',
            path: `/v2/images/${await target.nextAddImage()}/members`,
            headers: target.headers.owner,
            body: { kind: 'add-members', prefix: `bench-${run}` },
          };
        case 'images-100k':
          return { ...base, method: 'GET', path: listImages, headers: target.headers.member };
        case 'images-1k':
          return { ...base, method: 'GET', path: listImages, headers: target.headers.sparse };
      }
    };

    // One request per cell first, so that a misconfigured cell fails loudly instead of measuring errors.
    for (const target of targets) {
      for (const op of target.ops) {
        if (op === 'add') continue;
        const spec = await specFor(target, op, 'check');
        const response = await fetch(`${spec.url}${spec.path}`, {
          method: spec.method,
          headers: spec.headers,
          ...(spec.body === undefined ? {} : { body: '{"status": "accepted"}' }),
        });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`${target.name} ${op}: ${response.status} ${text.slice(0, 300)}`);
        if (op === 'images-1k' || op === 'images-100k') {
          const count = (JSON.parse(text) as { images: unknown[] }).images.length;
          if (count !== 25) throw new Error(`${target.name} ${op}: a page of ${count} images, not 25`);
        }
      }
    }

    worker = fork(join(projectRoot, 'bench', 'load-worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    let nextId = 0;
    const pending = new Map<number, { warmedUp(): void; resolve(result: LoadResult): void; reject(error: Error): void }>();
    worker.on('message', (message: { id: number; warmedUp?: boolean; result?: LoadResult; error?: string }) => {
      const waiter = pending.get(message.id);
      if (message.warmedUp === true) {
        waiter?.warmedUp();
        return;
      }
      pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      // A run without a successful response has no percentiles: NaN, which IPC turned into null.
      else waiter?.resolve({ ...message.result!, p50: message.result!.p50 ?? Number.NaN, p99: message.result!.p99 ?? Number.NaN });
    });
    worker.once('exit', (code) => {
      for (const waiter of pending.values()) waiter.reject(new Error(`the load worker exited with ${code}`));
    });
    /** Runs one cell; `cpuMsPerRequest` is the server's CPU time (its process tree's) over the measured run. */
    const load = (spec: LoadSpec, pid: number): Promise<LoadResult & { cpuMsPerRequest: number }> =>
      new Promise((resolveLoad, reject) => {
        const id = nextId++;
        let cpuBefore = 0;
        pending.set(id, {
          warmedUp: () => {
            cpuBefore = cpuSeconds(pid);
          },
          resolve: (result) => resolveLoad({ ...result, cpuMsPerRequest: ((cpuSeconds(pid) - cpuBefore) * 1000) / Math.max(1, result.ok) }),
          reject,
        });
        worker!.send({ id, spec });
      });

    const cells = new Map<string, Cell>();
    const total = targets.reduce((n, t) => n + t.ops.filter((op) => wantedOps === undefined || wantedOps.has(op)).length, 0) * REPEATS;
    let done = 0;
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      for (const target of targets) {
        for (const op of target.ops) {
          if (wantedOps !== undefined && !wantedOps.has(op)) continue;
          const key = `${target.name}|${op}`;
          const cell = cells.get(key) ?? { target: target.name, op, runs: [] };
          cells.set(key, cell);
          const result = await load(await specFor(target, op, `${target.name}-${op}-${repeat}-${Date.now()}`), target.proc.pid);
          cell.runs.push(result);
          // Requests still in flight when the run ended keep a slow server (Glance) busy: let it
          // finish them before the next cell, so that no cell pays for the previous one.
          await waitIdle(target.proc.pid);
          done += 1;
          const bad =
            Object.keys(result.failures).length > 0 || result.errors > 0
              ? ` failures ${JSON.stringify(result.failures)} errors ${result.errors}`
              : '';
          process.stderr.write(
            `[${done}/${total}] ${target.name.padEnd(16)} ${op.padEnd(13)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${ms(result.p50)} ms  p99 ${ms(result.p99)} ms  cpu ${result.cpuMsPerRequest.toFixed(3)} ms/req  load ${fmtLoad()}${bad}\n`,
          );
        }
      }
    }

    report([...cells.values()], out);
    out();
    out(`load average at end: ${fmtLoad()}`);
  } finally {
    await cleanup();
  }
}

interface Summary {
  rps: number;
  p50: number;
  p99: number;
  cpu: number;
  failures: number;
}

function summarise(cell: Cell): Summary {
  return {
    rps: median(cell.runs.map((r) => r.rps)),
    p50: median(cell.runs.map((r) => r.p50)),
    p99: median(cell.runs.map((r) => r.p99)),
    cpu: median(cell.runs.map((r) => r.cpuMsPerRequest)),
    failures: cell.runs.reduce((n, r) => n + Object.values(r.failures).reduce((a, b) => a + b, 0) + r.errors + r.timeouts, 0),
  };
}

function report(cells: Cell[], out: (line?: string) => void): void {
  const summaries = new Map(cells.map((cell) => [`${cell.target}|${cell.op}`, summarise(cell)]));
  const get = (target: string, op: Op): Summary | undefined => summaries.get(`${target}|${op}`);
  const fmtRps = (n: number): string => Math.round(n).toLocaleString('en-US');

  out();
  out('| target | operation | req/s | p50 ms | p99 ms | server CPU µs/req | req/s per run | non-2xx/errors |');
  out('|---|---|---:|---:|---:|---:|---|---:|');
  for (const cell of cells) {
    const s = get(cell.target, cell.op)!;
    out(
      `| ${cell.target} | ${OP_LABEL[cell.op]} | ${fmtRps(s.rps)} | ${ms(s.p50)} | ${ms(s.p99)} | ${Math.round(s.cpu * 1000)} | ${cell.runs.map((r) => fmtRps(r.rps)).join(' / ')} | ${s.failures} |`,
    );
  }

  const gsTargets = [...new Set(cells.map((c) => c.target))].filter((t) => t !== 'bare-express' && t !== 'glance');
  const verdict = (pass: boolean): string => (pass ? 'PASS' : 'MISS');
  const misses: string[] = [];
  const line = (what: string, value: string, target: string, pass: boolean): void => {
    out(`| ${what} | ${value} | ${target} | ${verdict(pass)} |`);
    if (!pass) misses.push(what);
  };

  out();
  out('| ratio | value | target | verdict |');
  out('|---|---:|---|---|');
  for (const t of gsTargets) {
    for (const op of MEMBER_OPS) {
      const ours = get(t, op);
      const glance = get('glance', op);
      if (ours !== undefined && glance !== undefined)
        line(`${t} ${op} vs Glance`, `${(ours.rps / glance.rps).toFixed(1)}×`, '≥ 20×', ours.rps / glance.rps >= 20);
    }
  }
  for (const t of gsTargets) {
    for (const [op, ceiling] of [
      ['show', 'const-member'],
      ['list', 'const-members'],
    ] as const) {
      const ours = get(t, op);
      const bare = get('bare-express', ceiling);
      if (ours !== undefined && bare !== undefined)
        line(`${t} ${op} vs bare express`, `${((100 * ours.rps) / bare.rps).toFixed(0)} %`, '≥ 50 %', ours.rps / bare.rps >= 0.5);
    }
  }
  for (const t of gsTargets) {
    for (const op of [...MEMBER_OPS, 'images-1k', 'images-100k'] as const) {
      const ours = get(t, op);
      if (ours !== undefined) line(`${t} ${op} p99`, `${ms(ours.p99)} ms`, '< 20 ms', Number.isFinite(ours.p99) && ours.p99 < 20);
    }
  }
  for (const t of gsTargets) {
    const small = get(t, 'images-1k');
    const large = get(t, 'images-100k');
    if (small !== undefined && large !== undefined) {
      const ratio = small.rps / large.rps;
      line(`${t} images 100k vs 1k (time per request)`, `${ratio.toFixed(2)}×`, '≤ 1.5×', ratio <= 1.5);
    }
  }
  out();
  out(misses.length === 0 ? 'all targets PASS' : `${misses.length} target(s) MISS`);
}

// PostgreSQL: run under a throwaway server unless one is given.
if (!opts['no-pg'] && process.env['TEST_PG_URL'] === undefined && process.env['BENCH_UNDER_PG'] === undefined) {
  if (pgAvailable()) {
    const child = spawn(
      'bash',
      [
        join(projectRoot, 'scripts', 'with-postgres.sh'),
        process.execPath,
        '--import',
        'tsx',
        join(projectRoot, 'bench', 'run.ts'),
        ...process.argv.slice(2),
      ],
      {
        stdio: 'inherit',
        env: { ...process.env, BENCH_UNDER_PG: '1' },
      },
    );
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  } else {
    process.stderr.write('bench: PostgreSQL is not installed; running without the pg targets (apt-get install postgresql)\n');
    await main(false);
  }
} else {
  await main(!opts['no-pg'] && process.env['TEST_PG_URL'] !== undefined);
}
