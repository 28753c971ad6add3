/**
 * The command line as an operator meets it, through real processes: --help and --version, one-line
 * refusals of what it does not know, `hash-password` (from a pipe, never from the command line) and
 * `check-config` (the effective configuration with its secrets masked, or the problems).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { verifyPassword } from '../../src/identity/services/password-hash.ts';
import { projectRoot } from '../helpers/build-app.ts';
import { linesOf, runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'glance-share-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `contents` (a string as it is, anything else as JSON) to a file of the test directory. */
function configFile(name: string, contents: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof contents === 'string' ? contents : JSON.stringify(contents, null, 2));
  return path;
}

describe('glance-share --help and --version', () => {
  for (const args of [['--help'], ['-h'], ['help'], ['migrate', '--help']]) {
    it(`\`${args.join(' ')}\` prints the usage of every command and option and exits 0`, async () => {
      const { code, stdout, stderr } = await runCli(args);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, '');
      assert.match(stdout, /^Usage: glance-share \[COMMAND\] \[--config FILE\]/);
      for (const text of ['serve', 'migrate', 'hash-password', 'check-config FILE', '--config FILE', '-h, --help', '--version']) {
        assert.ok(stdout.includes(text), `usage mentions ${text}`);
      }
      assert.match(stdout, /GLANCE_SHARE_CONFIG/);
    });
  }

  it('`--version` prints the version of package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    const { code, stdout, stderr } = await runCli(['--version']);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `${version}\n`);
  });

  for (const [args, expected] of [
    [['frobnicate'], /^glance-share: unknown command "frobnicate" \(see glance-share --help\)$/],
    [['--frobnicate=secret-value'], /^glance-share: unknown option --frobnicate \(see glance-share --help\)$/],
    [['serve', 'extra'], /^glance-share: serve takes no arguments.*--help/],
    [['--config'], /^glance-share: --config needs a FILE/],
  ] as const) {
    it(`\`${args.join(' ')}\` is refused in one line on stderr, exit 1`, async () => {
      const { code, stdout, stderr } = await runCli(args);
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.equal(linesOf(stderr).length, 1, stderr);
      assert.match(stderr.trim(), expected);
      assert.ok(!stderr.includes('secret-value'));
    });
  }
});

describe('glance-share hash-password', () => {
  it('hashes the first line of a piped stdin, and prints only the hash', async () => {
    const { code, stdout, stderr } = await runCli(['hash-password'], { input: 'correct horse battery\r\nsecond line\n' });
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    const lines = linesOf(stdout);
    assert.equal(lines.length, 1, stdout);
    assert.match(lines[0]!, /^scrypt\$/);
    assert.equal(await verifyPassword('correct horse battery', lines[0]!), true);
    assert.equal(await verifyPassword('correct horse battery\r', lines[0]!), false);
  });

  it('hashes all of stdin when it has no line ending, whitespace included', async () => {
    const { code, stdout } = await runCli(['hash-password'], { input: ' padded ' });
    assert.equal(code, 0);
    assert.equal(await verifyPassword(' padded ', stdout.trim()), true);
  });

  it('refuses a password on the command line, without echoing it', async () => {
    const { code, stdout, stderr } = await runCli(['hash-password', 'argv-password-123'], { input: 'x\n' });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(linesOf(stderr).length, 1, stderr);
    assert.match(stderr, /hash-password takes no arguments/);
    assert.ok(!stderr.includes('argv-password-123'));
  });

  it('refuses an empty password', async () => {
    for (const input of ['', '\n']) {
      const { code, stdout, stderr } = await runCli(['hash-password'], { input });
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.match(stderr, /^glance-share: hash-password: empty password refused\n$/);
    }
  });
});

describe('glance-share check-config', () => {
  const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
  const valid = {
    dataDir: './state',
    database: { client: 'pg', url: 'postgres://glance:pg-secret-42@127.0.0.1:5432/glance' },
    auth: {
      mode: 'builtin',
      domains: [{ id: 'default', name: 'Default' }],
      projects: [{ id: 'ops', name: 'ops', domain: 'default' }],
      users: [
        { id: 'u-1', name: 'ops', domain: 'default', passwordHash: HASH },
        { id: 'u-2', name: 'dev', domain: 'default', passwordHash: HASH },
      ],
      roleAssignments: [{ user: 'u-1', project: 'ops', roles: ['admin'] }],
      keystone: {
        url: 'http://127.0.0.1:5000/v3',
        username: 'glance',
        password: 'ks-secret-77',
        userDomainName: 'Default',
        projectName: 'service',
        projectDomainName: 'Default',
      },
    },
  };

  it('prints the effective configuration with every secret masked, and exits 0', async () => {
    const path = configFile('valid.json', valid);
    const { code, stdout, stderr } = await runCli(['check-config', path]);
    assert.equal(code, 0, stderr);
    for (const secret of ['pg-secret-42', 'ks-secret-77', HASH, 'c2FsdHNhbHRz'])
      assert.ok(!stdout.includes(secret), `${secret} is not printed`);
    const printed = JSON.parse(stdout);
    assert.equal(printed.database.url, 'postgres://glance:***@127.0.0.1:5432/glance');
    assert.equal(printed.auth.keystone.password, '***');
    assert.deepEqual(
      printed.auth.users.map((user: { passwordHash: string }) => user.passwordHash),
      ['***', '***'],
    );
    // The effective values: defaults filled in, relative paths resolved against the file's directory.
    assert.equal(printed.dataDir, join(dir, 'state'));
    assert.equal(printed.images.storeDir, join(dir, 'state', 'images'));
    assert.equal(printed.port, 9292);
    assert.equal(printed.policy.mode, 'new-defaults');
  });

  it('validates as serve does: PORT from the environment applies', async () => {
    const { code, stdout } = await runCli(['check-config', configFile('port.json', valid)], { env: { PORT: '9393' } });
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).port, 9393);
  });

  it('an invalid configuration: the problems one a line, each naming the file, exit 1', async () => {
    const path = configFile('invalid.json', { port: 70000, policy: { mode: 'lenient' }, colour: 'blue' });
    const { code, stdout, stderr } = await runCli(['check-config', path]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    const lines = linesOf(stderr);
    assert.ok(lines.length >= 3, stderr);
    for (const line of lines) assert.ok(line.startsWith(`glance-share: ${path}: `), line);
    assert.match(stderr, /\/port: /);
    assert.match(stderr, /\/policy\/mode: /);
    assert.match(stderr, /colour/);
    assert.doesNotMatch(stderr, /^\s+at /m);
  });

  it('a configuration serve would refuse (a built-in identity nobody can log in to) is a problem too', async () => {
    const { code, stderr } = await runCli(['check-config', configFile('nobody.json', { memberLimits: { default: 5 } })]);
    assert.equal(code, 1);
    assert.match(stderr, /auth: the built-in identity has no users/);
  });

  it('a JSON syntax error: the file, line and column in one line, and nothing of the text', async () => {
    const text = '{\n  "database": { "client": "pg", "url": "postgres://u:json-secret@h/db" }\n  "port": 9292\n}\n';
    const path = configFile('syntax.json', text);
    const { code, stdout, stderr } = await runCli(['check-config', path]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(linesOf(stderr).length, 1, stderr);
    assert.match(stderr, new RegExp(`^glance-share: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:3: invalid JSON: `));
    assert.ok(!stderr.includes('json-secret'));

    const literal = configFile('literal.json', '{\n  "migrateOnStart": tru\n}\n');
    const second = await runCli(['check-config', literal]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /literal\.json:2:24: invalid JSON: unexpected character "\\n"\n$/);
  });

  it('an unreadable file: its path and the reason, one line', async () => {
    const missing = join(dir, 'missing.json');
    const { code, stderr } = await runCli(['check-config', missing]);
    assert.equal(code, 1);
    assert.equal(stderr, `glance-share: cannot read the configuration file ${missing}: ENOENT: no such file or directory\n`);
    const directory = await runCli(['check-config', dir]);
    assert.equal(directory.code, 1);
    assert.match(directory.stderr, /^glance-share: cannot read the configuration file .*: EISDIR/);
  });
});
