/**
 * The log as an operator and an auditor read it: every line JSON with an ISO 8601 `time`; a request
 * line naming the request id and the caller; one audit line for every change to sharing, successful
 * or refused; one for every login, with the user as given and never the password or the token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/base/logger.ts';
import { hashPassword } from '../../src/identity/services/password-hash.ts';
import { buildApp, type TestApp } from '../helpers/build-app.ts';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

type Line = Record<string, any>;

/** A logger as production builds it, writing into memory. */
function capture(): { logger: ReturnType<typeof createLogger>; raw: string[]; lines(): Line[] } {
  const raw: string[] = [];
  const logger = createLogger('info', { destination: { write: (line: string) => raw.push(line) } });
  return { logger, raw, lines: () => raw.map((line) => JSON.parse(line) as Line) };
}

/** The lines `match` picks, once there are `count` of them (the request line is written at response finish). */
async function waitFor(lines: () => Line[], match: (line: Line) => boolean, count = 1): Promise<Line[]> {
  for (let i = 0; i < 100; i += 1) {
    const found = lines().filter(match);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`expected ${count} log line(s); got ${JSON.stringify(lines(), null, 1)}`);
}

/** `line` has (at least) the fields of `expected`, with their values. */
function assertHas(line: Line | undefined, expected: Line): void {
  assert.ok(line);
  assert.deepEqual(line, { ...line, ...expected });
}

function headers(project: string, user: string, requestId: string, roles = 'member,reader'): Record<string, string> {
  return {
    'X-Identity-Status': 'Confirmed',
    'X-Project-Id': project,
    'X-User-Id': user,
    'X-Roles': roles,
    'X-Openstack-Request-Id': requestId,
    Accept: 'application/json',
  };
}

describe('logs: request lines and sharing audit records', () => {
  let t: TestApp;
  const log = capture();
  const owner = (requestId: string): Record<string, string> => headers('p-owner', 'u-owner', requestId);
  const audits = (action: string): Line[] => log.lines().filter((line) => line['audit'] === action);
  const lastAudit = (action: string): Line => {
    const found = audits(action).at(-1);
    assert.ok(found, `no ${action} audit line`);
    return found;
  };
  let imageId = '';

  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' }, memberLimits: { default: 2 } }, { logger: log.logger });
  });
  after(() => t.close());

  it('creates an image: a request line with the request id and the caller, an image.create line', async () => {
    const res = await t.request.post('/v2/images').set(owner('req-create-1')).send({ name: 'audited', visibility: 'shared' });
    assert.equal(res.status, 201);
    imageId = res.body.id;
    const [request] = await waitFor(log.lines, (line) => line['msg'] === 'request' && line['requestId'] === 'req-create-1');
    assert.deepEqual(
      { user: request!['user'], project: request!['project'], method: request!['method'], path: request!['path'] },
      { user: 'u-owner', project: 'p-owner', method: 'POST', path: '/v2/images' },
    );
    assert.equal(request!['status'], 201);
    assert.equal(typeof request!['ms'], 'number');
    assert.match(request!['time'], ISO_TIME);
    const audit = lastAudit('image.create');
    assert.equal(audit['msg'], 'audit');
    assert.equal(audit['level'], 30);
    assert.deepEqual(
      { ...audit, time: undefined, service: undefined, level: undefined, msg: undefined },
      {
        ...{ time: undefined, service: undefined, level: undefined, msg: undefined },
        ...{ audit: 'image.create', actor: { user: 'u-owner', project: 'p-owner' }, image: imageId, newVisibility: 'shared' },
        ...{ outcome: 'success', requestId: 'req-create-1' },
      },
    );
  });

  it('a request line before authentication names no caller', async () => {
    await t.request.get('/v2/images').set('X-Openstack-Request-Id', 'req-anonymous').expect(401);
    const [request] = await waitFor(log.lines, (line) => line['msg'] === 'request' && line['requestId'] === 'req-anonymous');
    assert.equal(request!['user'], null);
    assert.equal(request!['project'], null);
    assert.equal(request!['status'], 401);
  });

  it('member adds: success, a refused duplicate (409), a refused add over the limit (413)', async () => {
    const add = (member: string, requestId: string) =>
      t.request.post(`/v2/images/${imageId}/members`).set(owner(requestId)).send({ member });
    assert.equal((await add('p-one', 'req-add-1')).status, 200);
    assert.equal((await add('p-one', 'req-add-2')).status, 409);
    assert.equal((await add('p-two', 'req-add-3')).status, 200);
    assert.equal((await add('p-three', 'req-add-4')).status, 413);
    const [ok, duplicate, second, overLimit] = audits('member.add');
    const actor = { user: 'u-owner', project: 'p-owner' };
    assertHas(ok, {
      ...{ actor, image: imageId, member: 'p-one', newStatus: 'pending', outcome: 'success', requestId: 'req-add-1' },
    });
    assert.equal(ok!['status'], undefined);
    assertHas(duplicate, {
      ...{ actor, image: imageId, member: 'p-one', outcome: 'refused', status: 409, requestId: 'req-add-2' },
      reason: `Member p-one is duplicated for image ${imageId}`,
    });
    assert.equal(second!['outcome'], 'success');
    assertHas(overLimit, { member: 'p-three', outcome: 'refused', status: 413, requestId: 'req-add-4' });
    assert.match(overLimit!['reason'], /^Image member limit exceeded/);
  });

  it('a body the router refuses is not audited', async () => {
    const before = audits('member.add').length;
    await t.request.post(`/v2/images/${imageId}/members`).set(owner('req-add-bad')).send({}).expect(400);
    await waitFor(log.lines, (line) => line['requestId'] === 'req-add-bad' && line['msg'] === 'request');
    assert.equal(audits('member.add').length, before);
  });

  it('a member status change names the old and the new status', async () => {
    const member = headers('p-one', 'u-one', 'req-status-1');
    await t.request.put(`/v2/images/${imageId}/members/p-one`).set(member).send({ status: 'accepted' }).expect(200);
    assertHas(lastAudit('member.status'), {
      ...{ actor: { user: 'u-one', project: 'p-one' }, image: imageId, member: 'p-one' },
      ...{ oldStatus: 'pending', newStatus: 'accepted', outcome: 'success', requestId: 'req-status-1' },
    });
    // The owner may not accept for its member: refused, with the status found.
    const refused = await t.request.put(`/v2/images/${imageId}/members/p-one`).set(owner('req-status-2')).send({ status: 'rejected' });
    assert.equal(refused.status, 403);
    assertHas(lastAudit('member.status'), {
      ...{ actor: { user: 'u-owner', project: 'p-owner' }, oldStatus: 'accepted', newStatus: 'rejected' },
      ...{ outcome: 'refused', status: 403, requestId: 'req-status-2' },
    });
  });

  it('a member removal names the status the member had', async () => {
    await t.request.delete(`/v2/images/${imageId}/members/p-two`).set(owner('req-remove-1')).expect(204);
    assertHas(lastAudit('member.remove'), {
      ...{ actor: { user: 'u-owner', project: 'p-owner' }, image: imageId, member: 'p-two' },
      ...{ oldStatus: 'pending', outcome: 'success', requestId: 'req-remove-1' },
    });
    assert.equal(lastAudit('member.remove')['newStatus'], undefined);
  });

  it('a visibility change names the old and the new visibility; other patches are not audited', async () => {
    const patch = (body: unknown, requestId: string) =>
      t.request.patch(`/v2/images/${imageId}`).set(owner(requestId)).set('Content-Type', PATCH_TYPE).send(JSON.stringify(body));
    await patch([{ op: 'replace', path: '/name', value: 'renamed' }], 'req-patch-name').expect(200);
    assert.equal(audits('image.visibility').length, 0);
    await patch([{ op: 'replace', path: '/visibility', value: 'private' }], 'req-patch-1').expect(200);
    assertHas(lastAudit('image.visibility'), {
      ...{ actor: { user: 'u-owner', project: 'p-owner' }, image: imageId },
      ...{ oldVisibility: 'shared', newVisibility: 'private', outcome: 'success', requestId: 'req-patch-1' },
    });
    // Publicizing needs admin: refused, with what was asked.
    await patch([{ op: 'replace', path: '/visibility', value: 'public' }], 'req-patch-2').expect(403);
    assertHas(lastAudit('image.visibility'), {
      ...{ oldVisibility: 'private', newVisibility: 'public', outcome: 'refused', status: 403, requestId: 'req-patch-2' },
    });
    assert.equal(audits('image.visibility').length, 2);
  });

  it('an image delete, refused and successful', async () => {
    const stranger = headers('p-stranger', 'u-stranger', 'req-delete-1');
    await t.request.delete(`/v2/images/${imageId}`).set(stranger).expect(404);
    assertHas(lastAudit('image.delete'), {
      ...{ actor: { user: 'u-stranger', project: 'p-stranger' }, image: imageId, outcome: 'refused', status: 404 },
      requestId: 'req-delete-1',
    });
    await t.request.delete(`/v2/images/${imageId}`).set(owner('req-delete-2')).expect(204);
    assertHas(lastAudit('image.delete'), {
      ...{ actor: { user: 'u-owner', project: 'p-owner' }, image: imageId, outcome: 'success', requestId: 'req-delete-2' },
    });
  });

  it('every line has an ISO 8601 time', () => {
    assert.ok(log.lines().length > 10);
    for (const line of log.lines()) assert.match(line['time'], ISO_TIME);
  });
});

describe('logs: logins to the built-in identity', () => {
  const PASSWORD = 'pw-Correct-Horse-41';
  const WRONG = 'pw-Wrong-Guess-17';
  let t: TestApp;
  const log = capture();
  const logins = (): Line[] => log.lines().filter((line) => line['audit'] === 'identity.login');
  const login = (password: string, requestId: string) =>
    t.request
      .post('/identity/v3/auth/tokens')
      .set('X-Openstack-Request-Id', requestId)
      .send({
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'alice', domain: { name: 'Default' }, password } } },
          scope: { project: { name: 'proj-a', domain: { name: 'Default' } } },
        },
      });

  before(async () => {
    const passwordHash = await hashPassword(PASSWORD);
    t = await buildApp(
      {
        auth: {
          mode: 'builtin',
          domains: [{ id: 'default', name: 'Default' }],
          projects: [{ id: 'p-a', name: 'proj-a', domain: 'default' }],
          users: [{ id: 'u-alice', name: 'alice', domain: 'default', passwordHash, enabled: true }],
          roleAssignments: [{ user: 'u-alice', project: 'p-a', roles: ['member'] }],
        },
      },
      { logger: log.logger },
    );
  });
  after(() => t.close());

  it('one line per attempt, success and failure, with the user and scope as given and never a secret', async () => {
    const ok = await login(PASSWORD, 'req-login-1');
    assert.equal(ok.status, 201);
    const token = ok.get('X-Subject-Token');
    assert.ok(token);
    assert.equal((await login(WRONG, 'req-login-2')).status, 401);
    // The token used: its request line names the caller; still never the token.
    await t.request.get('/v2/images').set('X-Auth-Token', token).set('X-Openstack-Request-Id', 'req-with-token').expect(200);
    const [request] = await waitFor(log.lines, (line) => line['msg'] === 'request' && line['requestId'] === 'req-with-token');
    assert.deepEqual([request!['user'], request!['project']], ['u-alice', 'p-a']);

    const asGiven = {
      user: { name: 'alice', domain: { name: 'Default' } },
      scope: { name: 'proj-a', domain: { name: 'Default' } },
      methods: ['password'],
    };
    const [success, failure, ...more] = logins();
    assert.equal(more.length, 0);
    assertHas(success, {
      ...asGiven,
      ...{ actor: { user: 'u-alice', project: 'p-a' }, outcome: 'success', requestId: 'req-login-1' },
    });
    assertHas(failure, {
      ...asGiven,
      ...{ outcome: 'failure', status: 401, reason: 'The request you have made requires authentication.', requestId: 'req-login-2' },
    });
    assert.equal(failure!['actor'], undefined);
    assert.match(success!['time'], ISO_TIME);

    const everything = log.raw.join('');
    assert.ok(!everything.includes(PASSWORD), 'the password is in the log');
    assert.ok(!everything.includes(WRONG), 'the wrong password is in the log');
    assert.ok(!everything.includes(token), 'the token is in the log');
  });
});
