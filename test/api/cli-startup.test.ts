/**
 * Starting the service, through real processes: each start-up failure an operator can fix (a port
 * in use, a data directory that cannot be written, a database that does not answer, a
 * configuration that must not serve) is one line on stderr and exit 1, never a stack trace; a
 * start that works logs once where everything is, as absolute paths.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { linesOf, runCli, spawnCli, type CliResult } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';

const dir = mkdtempSync(join(tmpdir(), 'glance-share-start-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TRUSTED = { auth: { mode: 'trusted-headers' } };

function configFile(name: string, config: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ logLevel: 'info', dataDir: join(dir, 'data'), ...TRUSTED, ...config }));
  return path;
}

/** Exit 1 with exactly one line on stderr and no stack trace; that line is returned. */
function oneLineFailure(result: CliResult): string {
  assert.equal(result.code, 1, `exit status; stderr: ${result.stderr}`);
  const lines = linesOf(result.stderr);
  assert.equal(lines.length, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
  assert.doesNotMatch(result.stdout, /^\s+at /m);
  return lines[0]!;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('start-up failures: one line, exit 1', () => {
  it('the port is in use: names host:port and how to choose another', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const line = oneLineFailure(
        await runCli(['serve', '--config', configFile('port.json', {})], { env: { HOST: '127.0.0.1', PORT: String(port) } }),
      );
      assert.match(line, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use \\(EADDRINUSE\\)`));
      assert.match(line, /PORT=/);
      assert.match(line, /"port"/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('the data directory cannot be created (it would be under a regular file): names the path', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const dataDir = join(file, 'data');
    const line = oneLineFailure(await runCli(['--config', configFile('datadir.json', { dataDir })], { env: { PORT: '0' } }));
    assert.match(line, new RegExp(`^glance-share: the data directory ${escape(dataDir)} cannot be created \\(ENOTDIR`));
    assert.match(line, /"dataDir"/);
  });

  it('the image store cannot be created: names the path', async () => {
    const storeDir = join(dir, 'a-file', 'images');
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    const line = oneLineFailure(await runCli(['--config', configFile('store.json', { images: { storeDir } })], { env: { PORT: '0' } }));
    assert.match(line, new RegExp(`^glance-share: the image store ${escape(storeDir)} cannot be created`));
  });

  it('PostgreSQL does not answer: names the database (password masked) and the reason, within seconds', async () => {
    const port = await freePort();
    const url = `postgres://glance:pg-pass-31@127.0.0.1:${port}/glance`;
    const config = configFile('pg.json', { database: { client: 'pg', url } });
    for (const command of ['serve', 'migrate']) {
      const result = await runCli([command, '--config', config], { env: { PORT: '0' }, timeoutMs: 20_000 });
      const line = oneLineFailure(result);
      assert.ok(result.ms < 10_000, `${command} took ${result.ms} ms`);
      assert.match(
        line,
        new RegExp(
          `cannot connect to the PostgreSQL database postgres://glance:\\*\\*\\*@127\\.0\\.0\\.1:${port}/glance: connection refused`,
        ),
      );
      assert.ok(!result.stderr.includes('pg-pass-31') && !result.stdout.includes('pg-pass-31'));
    }
  });

  it('SQLite cannot open its file: names the file and the reason', async () => {
    const filename = join(dir, 'a-directory.sqlite');
    mkdirSync(filename, { recursive: true });
    const line = oneLineFailure(await runCli(['--config', configFile('sqlite.json', { database: { filename } })], { env: { PORT: '0' } }));
    assert.match(line, new RegExp(`^glance-share: cannot open the SQLite database ${escape(filename)}: SQLITE_CANTOPEN`));
  });

  it('a configuration that must not serve (a built-in identity without users) is refused before anything opens', async () => {
    const config = configFile('nobody.json', { auth: { mode: 'builtin' }, dataDir: join(dir, 'never') });
    const line = oneLineFailure(await runCli(['serve', '--config', config], { env: { PORT: '0' } }));
    assert.match(line, new RegExp(`^glance-share: ${escape(config)}: auth: the built-in identity has no users`));
  });
});

interface Running {
  child: ChildProcess;
  /** The JSON log lines (and other lines, as `{ text }`) printed before "glance-share listening". */
  lines: Array<Record<string, unknown>>;
  stdout: () => string;
}

/** Starts `serve` and waits for its "glance-share listening" line. */
function startServe(args: string[], options: Parameters<typeof spawnCli>[1]): Promise<Running> {
  const child = spawnCli(args, options);
  child.stdin!.end();
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: Array<Record<string, unknown>> = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 30 s: ${stderr}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout += `${line}\n`;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { text: line };
      }
      lines.push(entry);
      if (entry['msg'] === 'glance-share listening') {
        clearTimeout(timer);
        resolve({ child, lines, stdout: () => stdout });
      }
    });
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('the start-up log', () => {
  it('lists the configuration file, data directory, database, image store, identity, policy and member limits as absolute paths, once', async () => {
    const memberLimits = { default: 12, rules: [{ property: 'image_type', values: ['snapshot'], limit: 3 }] };
    const configPath = join(dir, 'start.json');
    writeFileSync(
      configPath,
      JSON.stringify({ logLevel: 'info', dataDir: './start-data', memberLimits, policy: { mode: 'legacy' }, ...TRUSTED }),
    );
    const running = await startServe(['--config', 'start.json'], { cwd: dir, env: { HOST: '127.0.0.1', PORT: '0' } });
    try {
      const logged = running.lines.filter((entry) => entry['msg'] === 'glance-share configuration');
      assert.equal(logged.length, 1, running.stdout());
      const entry = logged[0]!;
      assert.equal(entry['level'], 30);
      assert.equal(entry['configFile'], configPath);
      assert.equal(entry['dataDir'], join(dir, 'start-data'));
      assert.deepEqual(entry['database'], { client: 'sqlite3', file: join(dir, 'start-data', 'glance-share.sqlite') });
      assert.equal(entry['imageStore'], join(dir, 'start-data', 'images'));
      assert.deepEqual(entry['identity'], { mode: 'trusted-headers', demo: false });
      assert.equal(entry['policy'], 'legacy');
      assert.deepEqual(entry['memberLimits'], memberLimits);
      assert.ok(!running.stdout().includes('running with its demo identity'));
    } finally {
      assert.equal(await stop(running.child), 0);
    }
  });

  it('without a configuration file: the demo identity, said in the log and in the help it prints', async () => {
    const cwd = join(dir, 'no-config');
    mkdirSync(cwd, { recursive: true });
    const running = await startServe([], { cwd, env: { HOST: '127.0.0.1', PORT: '0' } });
    try {
      const entry = running.lines.find((line) => line['msg'] === 'glance-share configuration')!;
      assert.equal(entry['configFile'], 'none: demo identity');
      assert.equal(entry['dataDir'], join(cwd, 'data'));
      assert.deepEqual(entry['identity'], { mode: 'builtin', demo: true });
      // The help may come before or after the "listening" line (pino writes asynchronously).
      const deadline = Date.now() + 5000;
      while (!running.stdout().includes('OS_PASSWORD=demo') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.match(running.stdout(), /glance-share is running with its demo identity/);
    } finally {
      assert.equal(await stop(running.child), 0);
    }
  });
});
