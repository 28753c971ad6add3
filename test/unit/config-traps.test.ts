/**
 * Configuration without traps: the demo identity is an explicit setting that works beside any
 * other, a built-in identity nobody can log in to and a demo identity on a non-loopback address
 * refuse to start, and the public URL is never a wildcard address.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, startupProblems } from '../../src/base/config.ts';
import { DEMO_PASSWORD, DEMO_PASSWORD_HASH, withDemoIdentity } from '../../src/identity/services/demo-identity.ts';
import { verifyPassword } from '../../src/identity/services/password-hash.ts';
import { projectRoot, validator } from '../helpers/build-app.ts';

const load = (file: unknown, env: { HOST?: string; PORT?: string } = {}) =>
  loadConfig({ file, baseDir: '/srv/glance-share', env, check: (data) => validator().check('config.json', data) });

const USER = { id: 'u-1', name: 'ops', domain: 'default', passwordHash: 'scrypt$16384$8$1$AAAA$BBBB' };
const OWN_IDENTITY = {
  domains: [{ id: 'default', name: 'Default' }],
  projects: [{ id: 'ops', name: 'ops', domain: 'default' }],
  users: [USER],
  roleAssignments: [{ user: 'u-1', project: 'ops', roles: ['admin'] }],
};

describe('configuration traps', () => {
  it('a built-in identity without users, and without the demo, refuses to start with a clear message', () => {
    const [problem, ...rest] = startupProblems(load({ memberLimits: { default: 10 } }));
    assert.deepEqual(rest, []);
    assert.match(
      problem!,
      /^auth: the built-in identity has no users, so nobody could log in: add auth\.users .* or set auth\.demo to true/,
    );
    assert.deepEqual(startupProblems(load({ auth: { demo: true }, memberLimits: { default: 10 } })), []);
    assert.deepEqual(startupProblems(load({ auth: OWN_IDENTITY })), []);
    assert.deepEqual(startupProblems(load({ auth: { mode: 'trusted-headers' } })), []);
  });

  it('the demo identity listens on loopback addresses only, unless explicitly allowed', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) {
      assert.deepEqual(startupProblems(load({ host, auth: { demo: true } })), [], host);
    }
    const [problem] = startupProblems(load({ host: '10.0.0.5', auth: { demo: true } }));
    assert.match(
      problem!,
      /^auth\.demo: the demo identity \(every password is "demo"\) listens on loopback addresses only, and host is 10\.0\.0\.5/,
    );
    assert.deepEqual(startupProblems(load({ host: '10.0.0.5', auth: { demo: true, demoAllowRemote: true } })), []);
    assert.equal(startupProblems(load({ auth: { demo: true } }, { HOST: '192.0.2.7' })).length, 1);
  });

  it('the demo identity is for the built-in mode only', () => {
    assert.throws(
      () => load({ auth: { mode: 'trusted-headers', demo: true } }),
      /\/auth\/demo: the demo identity needs auth\.mode "builtin"/,
    );
  });

  it('publicUrl is never a wildcard address', () => {
    assert.throws(() => load({ host: '0.0.0.0' }), /\/publicUrl: must be set when host is 0\.0\.0\.0: clients cannot reach that address/);
    assert.throws(() => load({}, { HOST: '::' }), /\/publicUrl: must be set when host is ::/);
    assert.throws(() => load({ publicUrl: 'http://0.0.0.0:9292' }), /\/publicUrl: http:\/\/0\.0\.0\.0:9292 names a wildcard address/);
    assert.equal(load({ host: '0.0.0.0', publicUrl: 'https://images.example.com/' }).publicUrl, 'https://images.example.com');
  });

  it('the grantee check is on by default and off in trusted-headers mode', () => {
    assert.equal(load({}).members.checkGranteeExists, true);
    assert.equal(load({ members: { checkGranteeExists: false } }).members.checkGranteeExists, false);
    assert.equal(load({ auth: { mode: 'trusted-headers' } }).members.checkGranteeExists, false);
  });
});

describe('the demo identity', () => {
  it('its fixed hash verifies the documented password', async () => {
    assert.equal(await verifyPassword(DEMO_PASSWORD, DEMO_PASSWORD_HASH), true);
    assert.equal(await verifyPassword('not-demo', DEMO_PASSWORD_HASH), false);
  });

  it('is added beside the configured identity, whose own ids win', () => {
    const base = load({ auth: { ...OWN_IDENTITY, demo: true } }).auth;
    const merged = withDemoIdentity(base);
    assert.deepEqual(
      merged.users.map((user) => user.id),
      ['u-1', 'alice', 'bob', 'carol', 'admin'],
    );
    assert.deepEqual(
      merged.projects.map((project) => project.id),
      ['ops', 'proj-a', 'proj-b', 'proj-c', 'admin'],
    );
    assert.deepEqual(merged.domains, [{ id: 'default', name: 'Default' }]);
    const clash = withDemoIdentity({ ...base, users: [{ ...USER, id: 'alice', name: 'alice', enabled: true }] });
    assert.equal(clash.users.find((user) => user.id === 'alice')!.passwordHash, USER.passwordHash);
    assert.equal(clash.roleAssignments.filter((assignment) => assignment.user === 'alice').length, 0);
  });
});

describe('the shipped example configurations', () => {
  for (const example of ['glance.json', 'provider-profile.json']) {
    it(`config/${example} carries no usable password: its users are placeholders that refuse to start`, async () => {
      const file = JSON.parse(readFileSync(join(projectRoot, 'config', example), 'utf8')) as { auth: { users: Array<{ name: string }> } };
      const config = load(file);
      const problems = startupProblems(config);
      assert.equal(problems.length, config.auth.users.length);
      assert.match(
        problems[0]!,
        /^auth\.users\[0\] \(alice\): passwordHash is the examples' placeholder: replace it with the output of `glance-share hash-password`$/,
      );
      for (const user of config.auth.users) {
        for (const guess of ['demo', 'secret', 'password', user.name]) assert.equal(await verifyPassword(guess, user.passwordHash), false);
      }
    });
  }
});
