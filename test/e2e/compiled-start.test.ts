/**
 * The production start: the compiled service (`npm run build` → dist/) installed with
 * `npm ci --omit=dev` in a fresh directory, without TypeScript or tsx, started each way the README
 * documents (`npm start`, `node dist/server.js`, `npm run migrate`; and `npm run dev` in the
 * checkout), and stopped the way a service manager stops it: SIGTERM to the PID it started.
 * Nothing may be left running afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { projectRoot } from '../helpers/build-app.ts';
import { listeningPort } from '../helpers/server-process.ts';

const START_TIMEOUT_MS = 60_000;

/** Every process (pid and command line) whose working directory is `dir` or below it, this test's own excepted. */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** The PIDs of every process below `pid` (children, their children, …), from /proc. */
function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const pending = [pid];
  for (let parent = pending.pop(); parent !== undefined; parent = pending.pop()) {
    for (const [child, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(child);
        pending.push(child);
      }
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the service one documented way, checks it serves, sends SIGTERM to the PID that was
 * started (npm's, for the npm scripts) and checks that it exits 0 and that every process it had
 * started (the service itself under npm, the watched child under `--watch`) is gone too.
 */
async function startServeAndTerminate(
  t: TestContext,
  cwd: string,
  command: string,
  args: readonly string[],
  configPath: string,
): Promise<void> {
  const started = await startAndWait(cwd, command, [...args], configPath);
  const tree = [started.child.pid!, ...descendantsOf(started.child.pid!)];
  t.after(() => {
    for (const pid of tree.filter(isAlive)) process.kill(pid, 'SIGKILL');
  });
  const health = await fetch(`http://127.0.0.1:${started.port}/healthcheck`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'OK');
  const images = await fetch(`http://127.0.0.1:${started.port}/v2/images`, {
    headers: { 'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'p-owner', 'X-Roles': 'member,reader' },
  });
  assert.equal(images.status, 200);

  process.kill(started.child.pid!, 'SIGTERM');
  const { code, signal } = await started.exited;
  assert.deepEqual({ code, signal }, { code: 0, signal: null });
  const deadline = Date.now() + 5000;
  while (tree.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(tree.filter(isAlive), [], `left running: ${tree.filter(isAlive).join(', ')} of ${tree.join(', ')}`);
}

interface Started {
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `command` in `dir` and waits for the service's "listening" log line on its stdout. */
async function startAndWait(dir: string, command: string, args: string[], configPath: string): Promise<Started> {
  const child = spawn(command, args, {
    cwd: dir,
    env: {
      ...process.env,
      GLANCE_SHARE_CONFIG: configPath,
      GLANCE_SHARE_LOG_PRETTY: '0',
      HOST: '127.0.0.1',
      PORT: '0',
      npm_config_update_notifier: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = listeningPort(child, START_TIMEOUT_MS, () => stderr);
  try {
    return { child, port: await listening, exited };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

describe('the compiled service, installed without dev dependencies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glance-share-prod-'));
  const configPath = join(dir, 'glance-share.json');

  before(() => {
    execFileSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'ignore' });
    for (const entry of ['package.json', 'package-lock.json', '.npmrc', '.prebuild-installrc', 'dist', 'schemas']) {
      cpSync(join(projectRoot, entry), join(dir, entry), { recursive: true });
    }
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
    writeFileSync(configPath, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'info', auth: { mode: 'trusted-headers' } }));
  });
  after(() => {
    for (const line of processesIn(dir)) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('has neither TypeScript nor tsx installed, only the runtime dependencies', () => {
    assert.equal(existsSync(join(dir, 'node_modules', 'typescript')), false);
    assert.equal(existsSync(join(dir, 'node_modules', 'tsx')), false);
    assert.equal(existsSync(join(dir, 'node_modules', 'express')), true);
    assert.equal(existsSync(join(dir, 'dist', 'server.js')), true);
  });

  it('`npm run migrate` brings the database up to date and exits 0', () => {
    const output = execFileSync('npm', ['run', 'migrate'], { cwd: dir, env: { ...process.env, GLANCE_SHARE_CONFIG: configPath } });
    assert.match(output.toString(), /database schema is up to date/);
    assert.deepEqual(processesIn(dir), []);
  });

  for (const [how, command, args] of [
    ['node dist/server.js', process.execPath, ['dist/server.js']],
    ['npm start', 'npm', ['start']],
  ] as const) {
    it(`\`${how}\` serves, and SIGTERM to its PID stops it with nothing left behind`, async (t) => {
      await startServeAndTerminate(t, dir, command, args, configPath);
      assert.deepEqual(processesIn(dir), []);
    });
  }
});

describe('the development start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glance-share-dev-'));
  const configPath = join(dir, 'glance-share.json');
  writeFileSync(configPath, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'info', auth: { mode: 'trusted-headers' } }));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('`npm run dev` (src/ under tsx, watched) serves, and SIGTERM to its PID stops it and its watched child', async (t) => {
    await startServeAndTerminate(t, projectRoot, 'npm', ['run', 'dev'], configPath);
  });
});
