/**
 * Bad input never hurts the service (issue 5): generated bodies, raw bytes, path segments, query
 * strings, headers and methods thrown at every route of a real server process, in both auth modes
 * that take identities from the request (builtin tokens, trusted headers). Every answer must be a
 * success or a 4xx in Glance's error format for the request's Accept (Keystone's under /identity),
 * never a 5xx, a hang or a crash; after every batch a normal request must still work.
 * Replay with FUZZ_SEED=<seed printed below>; explore with FUZZ_SEED=random FUZZ_RUNS=10.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import supertest from 'supertest';
import { hashPassword } from '../../src/identity/services/password-hash.ts';
import { buildApp, engine, type TestApp } from '../helpers/build-app.ts';
import {
  FUZZ_SEED,
  METHODS,
  checkAnswer,
  describeRequest,
  fuzzParameters,
  imageCreateBody,
  imagePatchBody,
  jsonVariants,
  mediaHeader,
  memberCreateBody,
  memberUpdateBody,
  method,
  oddHeader,
  headerText,
  pathSegment,
  queryString,
  rawBytes,
  requestIdHeader,
  send,
  tokenBody,
  type WireRequest,
} from '../helpers/fuzz.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

type Mode = 'builtin' | 'trusted-headers';
type Headers = Array<[string, string]>;

const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

interface Env {
  mode: Mode;
  t: TestApp;
  server: ServerProcess;
  stderr: string[];
  errorLogs: string[];
  /** Identities for the fuzzed requests (tokens may be revoked by the fuzzer; renewed per batch). */
  owner: Headers;
  member: Headers;
  admin: Headers;
  /** Never sent by the fuzzer: the health checks' own identity and image. */
  health: Headers;
  healthImage: string;
  /** Fresh per batch: a shared image with p-member, and one with data. */
  image: string;
  imageWithData: string;
  requests: number;
  /** Answers per status in the current batch, for the diagnostics. */
  statuses: Map<number, number>;
}

const trusted = (project: string, roles: string): Headers => [
  ['X-Identity-Status', 'Confirmed'],
  ['X-Project-Id', project],
  ['X-Roles', roles],
];

async function identityConfig(): Promise<Record<string, unknown>> {
  const passwordHash = await hashPassword('secret');
  const user = (name: string) => ({ id: `u-${name}`, name, domain: 'default', passwordHash });
  return {
    mode: 'builtin',
    domains: [{ id: 'default', name: 'Default' }],
    projects: ['owner', 'member', 'admin', 'health'].map((name) => ({ id: `p-${name}`, name: `proj-${name}`, domain: 'default' })),
    users: ['owner', 'member', 'admin', 'health'].map(user),
    roleAssignments: [
      { user: 'u-owner', project: 'p-owner', roles: ['member'] },
      { user: 'u-member', project: 'p-member', roles: ['member'] },
      { user: 'u-admin', project: 'p-admin', roles: ['admin'] },
      { user: 'u-health', project: 'p-owner', roles: ['member'] },
    ],
  };
}

async function tokenFor(env: Pick<Env, 'server'>, name: string): Promise<Headers> {
  const res = await supertest(env.server.url)
    .post('/identity/v3/auth/tokens')
    .send({ auth: { identity: { methods: ['password'], password: { user: { id: `u-${name}`, password: 'secret' } } } } });
  assert.equal(res.status, 201, res.text);
  return [['X-Auth-Token', String(res.headers['x-subject-token'])]];
}

const asObject = (headers: Headers): Record<string, string> => Object.fromEntries(headers);

async function createImage(env: Env, as: Headers, withData: boolean): Promise<string> {
  const agent = supertest(env.server.url);
  const created = await agent.post('/v2/images').set(asObject(as)).send({ name: 'fuzz', disk_format: 'raw', container_format: 'bare' });
  assert.equal(created.status, 201, created.text);
  const id = String(JSON.parse(created.text).id);
  const shared = await agent.post(`/v2/images/${id}/members`).set(asObject(as)).send({ member: 'p-member' });
  assert.equal(shared.status, 200, shared.text);
  if (withData) {
    const uploaded = await agent
      .put(`/v2/images/${id}/file`)
      .set(asObject(as))
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.from('fuzz data'));
    assert.equal(uploaded.status, 204, uploaded.text);
  }
  return id;
}

/** New identities and images for a batch: the previous batch may have revoked, deleted or changed them. */
async function refresh(env: Env): Promise<void> {
  if (env.mode === 'builtin') {
    env.owner = await tokenFor(env, 'owner');
    env.member = await tokenFor(env, 'member');
    env.admin = await tokenFor(env, 'admin');
  }
  env.image = await createImage(env, env.owner, false);
  env.imageWithData = await createImage(env, env.owner, true);
}

/** The service still works: alive, no error logged, members of a real shared image listed, no polluted prototypes. */
async function assertHealthy(env: Env): Promise<void> {
  assert.equal(env.server.child.exitCode, null, `the server process exited: ${env.stderr.join('')}`);
  // Reported once: the next batch starts clean.
  assert.deepEqual(env.errorLogs.splice(0), [], 'the server logged errors');
  const agent = supertest(env.server.url);
  const members = await agent.get(`/v2/images/${env.healthImage}/members`).set(asObject(env.health)).set('Accept', 'application/json');
  assert.equal(members.status, 200, members.text);
  assert.deepEqual(
    JSON.parse(members.text).members.map((m: { member_id: string }) => m.member_id),
    ['p-member'],
    `members of the health image ${env.healthImage} (never sent by the fuzzer)`,
  );
  // A polluted Object.prototype would make every body seem to carry these keys.
  const noMember = await agent
    .post(`/v2/images/${env.healthImage}/members`)
    .set(asObject(env.health))
    .set('Accept', 'application/json')
    .send({});
  assert.equal(noMember.status, 400, noMember.text);
  assert.match(noMember.text, /Member to be added not specified/);
  const noStatus = await agent
    .put(`/v2/images/${env.healthImage}/members/p-member`)
    .set(asObject(env.health))
    .set('Accept', 'application/json')
    .send({});
  assert.equal(noStatus.status, 400, noStatus.text);
  const health = await agent.get('/healthcheck');
  assert.equal(health.status, 200);
  assert.equal(health.text, 'OK');
}

/** Sends one generated request and checks its answer; every 150 requests, checks the service too. */
async function exercise(env: Env, request: WireRequest): Promise<void> {
  const answer = await send(env.server.url, request).catch((error: unknown) => {
    throw new Error(`no answer: ${(error as Error).message}\n  request: ${describeRequest(request)}`);
  });
  env.requests += 1;
  env.statuses.set(answer.status, (env.statuses.get(answer.status) ?? 0) + 1);
  checkAnswer(request, answer, { mode: env.mode });
  if (env.requests % 150 === 0) await assertHealthy(env);
}

/** One batch: fresh fixtures, then `runs` generated requests (the arbitrary is built after the refresh). */
async function batch(env: Env, context: TestContext, runs: number, makeArbitrary: () => fc.Arbitrary<WireRequest>): Promise<void> {
  await refresh(env);
  const arbitrary = makeArbitrary();
  const before = env.requests;
  const started = Date.now();
  env.statuses.clear();
  const details = await fc.check(
    fc.asyncProperty(arbitrary, (request) => exercise(env, request)),
    fuzzParameters(runs),
  );
  if (details.failed) {
    // fast-check's own report prints the whole counterexample (megabytes for huge bodies); ours is shortened.
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    // The server's error log goes with this failure, not the next batch's.
    const logged = env.errorLogs
      .splice(0)
      .map((line) => `\n  server log: ${line}`)
      .join('');
    throw new Error(
      `property failed at run ${details.numRuns} (FUZZ_SEED=${details.seed}, path ${details.counterexamplePath ?? '-'}):\n${error}${logged}`,
    );
  }
  await assertHealthy(env);
  const statuses = [...env.statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
  context.diagnostic(
    `${env.mode}/${engine}: ${env.requests - before} requests in ${Date.now() - started} ms (${statuses}), FUZZ_SEED=${FUZZ_SEED}`,
  );
}

/** Identities the fuzzer sends: real ones mostly, none, and garbage in the mode's own headers. */
function identities(env: Env, garbageWeight = 3): fc.Arbitrary<Headers> {
  /** A real value mostly, so that one garbage field at a time gets past the others. */
  const field = <T>(real: T, odd: fc.Arbitrary<T | undefined>): fc.Arbitrary<T | undefined> =>
    fc.oneof({ weight: 2, arbitrary: fc.constant(real) }, { weight: 1, arbitrary: odd });
  const garbage: fc.Arbitrary<Headers> =
    env.mode === 'trusted-headers'
      ? fc
          .tuple(
            field<string>('Confirmed', fc.constantFrom('confirmed', 'Invalid', '', 'Confirmed, Confirmed', undefined)),
            field<string>(
              'p-owner',
              fc.oneof(
                fc.constantFrom('p-member', '', ' ', 'p-owner, p-member', undefined),
                fc.tuple(fc.constantFrom('p', 'é', '\u00ff'), fc.integer({ min: 200, max: 400 })).map(([c, n]) => c.repeat(n)),
                headerText,
              ),
            ),
            field<string>(
              'member,reader',
              fc.oneof(fc.constantFrom('admin', 'ADMIN', ' admin ', ',,,', 'admin,', '', 'reader', undefined), headerText),
            ),
            fc.option(
              fc.constantFrom<[string, string]>(
                ['X-Tenant-Id', 'p-owner'],
                ['X-User-Id', '\u00ff'],
                ['X-Project-Id', 'p-member'],
                ['X-Roles', 'admin'],
              ),
              { nil: undefined },
            ),
          )
          .map(([status, project, roles, extra]) => {
            const headers: Headers = [];
            if (status !== undefined) headers.push(['X-Identity-Status', status]);
            if (project !== undefined) headers.push(['X-Project-Id', project]);
            if (roles !== undefined) headers.push(['X-Roles', roles]);
            if (extra !== undefined) headers.push(extra);
            return headers;
          })
      : fc
          .tuple(
            fc.oneof(
              fc.constantFrom('', ' ', 'x'.repeat(513), 'x'.repeat(10_000)),
              headerText,
              fc.constantFrom(env.owner, env.member).map((h) => `${h[0]![1]}x`),
            ),
            fc.option(
              fc.oneof(
                headerText,
                fc.constantFrom(env.owner, env.member).map((h) => h[0]![1]),
              ),
              { nil: undefined },
            ),
            fc.boolean(),
          )
          .map(([token, subject, twice]) => {
            const headers: Headers = [['X-Auth-Token', token]];
            if (twice) headers.push(['X-Auth-Token', env.owner[0]![1]]);
            if (subject !== undefined) headers.push(['X-Subject-Token', subject]);
            return headers;
          });
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant(env.owner) },
    { weight: 2, arbitrary: fc.constant(env.member) },
    { weight: 1, arbitrary: fc.constant(env.admin) },
    { weight: 1, arbitrary: fc.constant<Headers>([]) },
    { weight: garbageWeight, arbitrary: garbage },
  );
}

interface Route {
  method: string;
  path: string;
}

/** Every route the service has, with the identities' real ids filled in. */
function routes(env: Env): Route[] {
  const image = `/v2/images/${env.image}`;
  const list: Array<[string, string]> = [
    ['GET', '/'],
    ['GET', '/versions'],
    ['GET', '/healthcheck'],
    ['GET', '/v2'],
    ['GET', '/v2/'],
    ['GET', '/v2.1/images'],
    ['GET', '/identity'],
    ['GET', '/identity/v3'],
    ['POST', '/identity/v3/auth/tokens'],
    ['GET', '/identity/v3/auth/tokens'],
    ['HEAD', '/identity/v3/auth/tokens'],
    ['DELETE', '/identity/v3/auth/tokens'],
    ['GET', '/identity/v3/auth/projects'],
    ['GET', '/identity/v3/projects'],
    ['GET', '/identity/v3/projects/p-owner'],
    ['GET', '/identity/v3/users/u-owner'],
    ['GET', '/v2/images'],
    ['POST', '/v2/images'],
    ['GET', image],
    ['PATCH', image],
    ['DELETE', image],
    ['PUT', `${image}/file`],
    ['GET', `/v2/images/${env.imageWithData}/file`],
    ['GET', `${image}/members`],
    ['POST', `${image}/members`],
    ['GET', `${image}/members/p-member`],
    ['PUT', `${image}/members/p-member`],
    ['DELETE', `${image}/members/p-member`],
    ['GET', '/v2/schemas/image'],
    ['GET', '/v2/schemas/images'],
    ['GET', '/v2/schemas/member'],
    ['GET', '/v2/schemas/members'],
  ];
  return list.map(([m, path]) => ({ method: m, path }));
}

/** The Content-Type a route expects, mostly; any other value sometimes; none sometimes. */
function contentType(natural: string): fc.Arbitrary<Headers> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant<Headers>([['Content-Type', natural]]) },
    { weight: 2, arbitrary: mediaHeader.map((v): Headers => [['Content-Type', v]]) },
    { weight: 1, arbitrary: fc.constant<Headers>([]) },
  );
}
const accept: fc.Arbitrary<Headers> = fc.oneof(
  fc.constant<Headers>([]),
  fc.constantFrom('application/json', '*/*', 'text/html', 'text/plain').map((v): Headers => [['Accept', v]]),
  mediaHeader.map((v): Headers => [['Accept', v]]),
);

function request(m: string, path: string, ...headerSets: Headers[]): WireRequest {
  return { method: m, path, headers: headerSets.flat() };
}

function suite(mode: Mode): void {
  describe(`fuzzing every route (${mode}, ${engine})`, () => {
    const env = { mode, requests: 0, statuses: new Map(), stderr: [] as string[], errorLogs: [] as string[] } as Env;

    before(async () => {
      const auth = mode === 'builtin' ? await identityConfig() : { mode: 'trusted-headers' };
      env.t = await buildApp({ auth });
      env.server = await startServer(env.t.sharedConfig(), join(env.t.dataDir, 'fuzz-config.json'));
      env.server.child.stderr!.on('data', (chunk: Buffer) => env.stderr.push(chunk.toString()));
      createInterface({ input: env.server.child.stdout! }).on('line', (line) => {
        if (/"level":(5\d|60)/.test(line)) env.errorLogs.push(line.slice(0, 2000));
      });
      if (mode === 'builtin') {
        env.health = await tokenFor(env, 'health');
        env.owner = await tokenFor(env, 'owner');
        env.member = await tokenFor(env, 'member');
        env.admin = await tokenFor(env, 'admin');
      } else {
        env.health = trusted('p-owner', 'member,reader');
        env.owner = trusted('p-owner', 'member,reader');
        env.member = trusted('p-member', 'member,reader');
        env.admin = trusted('p-admin', 'admin,member,reader');
      }
      env.healthImage = await createImage(env, env.health, false);
    });
    after(async () => {
      await env.server?.stop();
      await env.t?.close();
    });

    it('JSON documents on every route that reads one: wrong types, deep nesting, huge and odd strings, duplicate and __proto__ keys', async (context) => {
      const image = (): string => `/v2/images/${env.image}`;
      const bodyRoutes: Array<{ m: string; path: () => string; type: string; body: fc.Arbitrary<string> }> = [
        { m: 'POST', path: () => '/v2/images', type: 'application/json', body: imageCreateBody },
        { m: 'PATCH', path: image, type: PATCH_TYPE, body: imagePatchBody },
        { m: 'POST', path: () => `${image()}/members`, type: 'application/json', body: memberCreateBody },
        { m: 'PUT', path: () => `${image()}/members/p-member`, type: 'application/json', body: memberUpdateBody },
        { m: 'POST', path: () => '/identity/v3/auth/tokens', type: 'application/json', body: tokenBody },
      ];
      const arbitrary = () =>
        fc.constantFrom(...bodyRoutes).chain((route) =>
          fc
            .tuple(jsonVariants(route.body), contentType(route.type), identities(env), accept, fc.boolean())
            .map(([body, type, who, acc, chunked]): WireRequest => ({
              ...request(route.m, route.path(), type, who, acc),
              body,
              chunked,
            })),
        );
      await batch(env, context, 700, arbitrary);
    });

    it('raw bytes, invalid UTF-8 and oversized bodies on every route, including those that refuse a body', async (context) => {
      const arbitrary = () =>
        fc
          .tuple(fc.constantFrom(...routes(env)), rawBytes, contentType('application/octet-stream'), identities(env), accept, fc.boolean())
          .map(([route, body, type, who, acc, chunked]): WireRequest => ({
            ...request(route.method, route.path, type, who, acc),
            body,
            chunked,
          }));
      await batch(env, context, 300, arbitrary);
    });

    it('path segments: invalid and valid percent-escapes, dot segments, long segments, unicode, on every route shape', async (context) => {
      const shapes: Array<(s: string, t: string) => string> = [
        (s) => `/${s}`,
        (s, t) => `/${s}/${t}`,
        (s) => `/v2/${s}`,
        (s) => `/v2/images/${s}`,
        (s) => `/v2/images/${s}/file`,
        (s) => `/v2/images/${s}/members`,
        (s) => `/v2/images/${env.image}/members/${s}`,
        (s, t) => `/v2/images/${s}/members/${t}`,
        (s) => `/v2/images/${env.image}/${s}`,
        (s) => `/v2/schemas/${s}`,
        (s) => `/identity/${s}`,
        (s) => `/identity/v3/${s}`,
        (s) => `/identity/v3/projects/${s}`,
        (s) => `/identity/v3/users/${s}`,
        (s) => `/identity/v3/auth/${s}`,
        (s) => `/v2.${s}/images`,
        (s) => `/${s}/v2/images`,
        (s) => `/healthcheck/${s}`,
        (s) => `/versions/${s}`,
        (s) => `/IDENTITY/V3/${s}`,
        (s) => `//v2/images/${s}`,
      ];
      const arbitrary = () =>
        fc
          .tuple(
            fc.constantFrom(...shapes),
            pathSegment,
            pathSegment,
            fc.constantFrom('', '', '', '/', '?', '#x', '/..'),
            fc.oneof({ weight: 4, arbitrary: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH') }, { weight: 1, arbitrary: method }),
            identities(env),
            accept,
          )
          .map(([shape, s, t, tail, m, who, acc]): WireRequest => ({
            ...request(m, `${shape(s, t)}${tail}`, who, acc),
            ...(['POST', 'PUT', 'PATCH'].includes(m)
              ? { body: Buffer.from(m === 'PUT' ? '{"status": "accepted"}' : '{"member": "p-x"}') }
              : {}),
          }));
      await batch(env, context, 700, arbitrary);
    });

    it('query strings: repeated keys, a[]=, a[b]=, huge values, invalid escapes, on every route', async (context) => {
      const arbitrary = () =>
        fc
          .tuple(
            fc.oneof(
              { weight: 3, arbitrary: fc.constant<Route>({ method: 'GET', path: '/v2/images' }) },
              { weight: 1, arbitrary: fc.constantFrom(...routes(env)) },
            ),
            queryString,
            identities(env),
            accept,
          )
          .map(([route, query, who, acc]): WireRequest => request(route.method, `${route.path}${query}`, who, acc));
      await batch(env, context, 500, arbitrary);
    });

    it('headers: odd Accept and Content-Type, request ids, identity garbage, encodings and expectations', async (context) => {
      const arbitrary = () =>
        fc
          .tuple(
            fc.constantFrom(...routes(env)),
            identities(env, 12),
            fc.option(mediaHeader, { nil: undefined }),
            fc.option(mediaHeader, { nil: undefined }),
            fc.option(requestIdHeader, { nil: undefined }),
            fc.array(oddHeader, { maxLength: 3 }),
            fc.option(
              fc.constantFrom(
                Buffer.from('{"member": "p-x"}'),
                Buffer.from('{"status": "accepted"}'),
                Buffer.from('{"name": "x"}'),
                Buffer.from('[]'),
                Buffer.from('x'),
              ),
              { nil: undefined },
            ),
          )
          .map(([route, who, acc, type, requestId, extra, body]): WireRequest => {
            const headers: Headers = [...who, ...extra];
            if (acc !== undefined) headers.push(['Accept', acc]);
            if (type !== undefined) headers.push(['Content-Type', type]);
            if (requestId !== undefined) headers.push(['X-Openstack-Request-Id', requestId]);
            return { method: route.method, path: route.path, headers, ...(body === undefined ? {} : { body }) };
          });
      await batch(env, context, 600, arbitrary);
    });

    it('every method on every route', async (context) => {
      await refresh(env);
      const before = env.requests;
      for (const route of routes(env)) {
        for (const m of METHODS) {
          for (const acc of ['application/json', '*/*', undefined]) {
            await exercise(env, request(m, route.path, env.owner, acc === undefined ? [] : [['Accept', acc]]));
          }
        }
      }
      await assertHealthy(env);
      context.diagnostic(`${mode}/${engine}: ${env.requests - before} requests`);
    });
  });
}

suite('trusted-headers');
suite('builtin');
