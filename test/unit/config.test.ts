import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/base/config.ts';
import { projectRoot, validator } from '../helpers/build-app.ts';

const load = (file: unknown, env: { HOST?: string; PORT?: string } = {}) =>
  loadConfig({ file, baseDir: '/srv/glance-share', env, check: (data) => validator().check('config.json', data) });

describe('configuration', () => {
  it('an empty file gives the documented defaults', () => {
    const config = load({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 9292);
    assert.equal(config.publicUrl, 'http://127.0.0.1:9292');
    assert.equal(config.dataDir, '/srv/glance-share/data');
    assert.equal(config.database.client, 'sqlite3');
    assert.equal(config.database.filename, '/srv/glance-share/data/glance-share.sqlite');
    assert.equal(config.migrateOnStart, true);
    assert.equal(config.policy.mode, 'new-defaults');
    assert.equal(config.auth.mode, 'builtin');
    assert.deepEqual(config.memberLimits, { default: 128, rules: [] });
    assert.equal(config.images.maxUploadBytes, 1024 ** 4);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.memberLimits));
  });

  it('HTTP timeouts: defaults, overrides, and a request timeout shorter than the headers timeout is refused', () => {
    assert.deepEqual(load({}).http, { headersTimeoutMs: 20_000, requestTimeoutMs: 0, idleTimeoutMs: 120_000, keepAliveTimeoutMs: 5000 });
    assert.deepEqual(load({ http: { headersTimeoutMs: 500, requestTimeoutMs: 600_000 } }).http, {
      headersTimeoutMs: 500,
      requestTimeoutMs: 600_000,
      idleTimeoutMs: 120_000,
      keepAliveTimeoutMs: 5000,
    });
    assert.throws(
      () => load({ http: { requestTimeoutMs: 1000 } }),
      /\/http\/requestTimeoutMs: must be 0 \(no limit\) or at least http.headersTimeoutMs/,
    );
    assert.throws(
      () => load({ http: { headersTimeoutMs: 0, idleMs: 1 } }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 2,
    );
  });

  it('SQLite read connections: 2 by default, 0 allowed, a negative number or a fraction refused', () => {
    assert.equal(load({}).database.readers, 2);
    assert.equal(load({ database: { readers: 0 } }).database.readers, 0);
    assert.throws(() => load({ database: { readers: -1 } }), /\/database\/readers/);
    assert.throws(() => load({ database: { readers: 1.5 } }), /\/database\/readers/);
  });

  it('HOST and PORT override the file', () => {
    // (A wildcard HOST needs a publicUrl now: test/unit/config-traps.test.ts.)
    const config = load({ port: 1234 }, { HOST: '192.0.2.10', PORT: '8080' });
    assert.equal(config.host, '192.0.2.10');
    assert.equal(config.port, 8080);
  });

  it('lists every problem at once', () => {
    assert.throws(
      () =>
        load({ port: 'x', policy: { mode: 'strict' }, bogus: 1, memberLimits: { rules: [{ property: 'image_type' }] } }, { PORT: 'abc' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        assert.match(text, /PORT: not a port number/);
        assert.match(text, /unknown property "bogus"/);
        assert.match(text, /\/policy\/mode: must be one of/);
        assert.match(text, /\/memberLimits\/rules\/0: must have required property 'values'/);
        return true;
      },
    );
  });

  it('PostgreSQL needs a URL, and identity references must resolve', () => {
    assert.throws(() => load({ database: { client: 'pg' } }), /must have required property 'url'/);
    assert.throws(
      () =>
        load({
          auth: {
            domains: [{ id: 'd', name: 'D' }],
            projects: [{ id: 'p', name: 'p', domain: 'nope' }],
            users: [],
            roleAssignments: [{ user: 'u', project: 'p', roles: ['member'] }],
          },
        }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 2,
    );
    assert.throws(
      () => load({ auth: { users: [{ id: 'u', name: 'u', domain: 'd', passwordHash: 'plain-text' }] } }),
      /passwordHash: must match pattern/,
    );
  });

  for (const example of ['glance.json', 'provider-profile.json']) {
    it(`the shipped example config/${example} is valid`, () => {
      const config = load(JSON.parse(readFileSync(join(projectRoot, 'config', example), 'utf8')));
      assert.equal(config.auth.users.length, 4);
      assert.equal(config.memberLimits.default, 128);
    });
  }
});
