/**
 * The processes the benchmark measures, each started here and stopped by its own id: glance-share
 * (src/server.ts under tsx: the code `npm start` runs compiled), the bare express ceiling (bare-server.ts), the
 * real Glance 25.1 (scripts/peers/start-glance.sh) and, for keystone mode, a real Keystone
 * (test/helpers/keystone-peer.ts). Servers log to files, never to a pipe this process would have
 * to drain: the load generator and this orchestrator share the machine's two cores with them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../test/helpers/build-app.ts';
import { freePort } from '../test/helpers/free-port.ts';

export { freePort, projectRoot };

export interface Proc {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `url` until it answers `expect` (or anything below 500), at most `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child !== undefined && child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status < 500) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs a node script under tsx with its output in `logFile`; resolves once `readyUrl` answers. */
async function startNode(
  name: string,
  args: string[],
  env: Record<string, string>,
  logFile: string,
  readyUrl: string,
  url: string,
  nodeArgs: string[] = [],
): Promise<Proc> {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  try {
    await waitForHttp(readyUrl, 60_000, child);
  } catch (error) {
    await stopChild(child);
    throw new Error(`${name} did not start (log: ${logFile}): ${(error as Error).message}`, { cause: error });
  }
  return { name, url, pid: child.pid!, stop: () => stopChild(child) };
}

/** glance-share with `config`, listening on `port`; `cpuProfDir` adds `--cpu-prof` (written at exit). */
export async function startGlanceShare(
  name: string,
  config: Record<string, unknown>,
  dir: string,
  port: number,
  cpuProfDir?: string,
): Promise<Proc> {
  const configPath = join(dir, `${name}.json`);
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${port}`;
  // One directory per target: tsx's loader thread writes a profile of its own next to the main thread's.
  const nodeArgs = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(cpuProfDir, name)];
  return startNode(
    name,
    [join(projectRoot, 'src', 'server.ts'), '--config', configPath],
    { HOST: '127.0.0.1', PORT: String(port) },
    join(dir, `${name}.log`),
    `${url}/healthcheck`,
    url,
    nodeArgs,
  );
}

/** The bare express 5 ceiling (bench/bare-server.ts). */
export async function startBare(dir: string): Promise<Proc> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startNode(
    'bare-express',
    [join(projectRoot, 'bench', 'bare-server.ts')],
    { PORT: String(port) },
    join(dir, 'bare-express.log'),
    `${url}/member`,
    url,
  );
}

function runScript(script: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(projectRoot, 'scripts', 'peers', script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${script} ${args.join(' ')} exited with ${code}:\n${output.slice(-3000)}`));
    });
  });
}

/** The real Glance 25.1: one worker, SQLite, unlimited members, identity from headers. */
export async function startGlance(dir: string): Promise<Proc> {
  const port = await freePort();
  const stateDir = join(dir, 'glance');
  const pidFile = join(stateDir, 'glance-api.pid');
  await runScript(
    'start-glance.sh',
    [String(port), pidFile],
    {
      GLANCE_STATE_DIR: stateDir,
      GLANCE_FRESH: '1',
      GLANCE_WORKERS: '1',
      GLANCE_MEMBER_QUOTA: '-1',
    },
    180_000,
  );
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return {
    name: 'glance',
    url: `http://127.0.0.1:${port}`,
    pid,
    stop: async () => {
      await runScript('stop-glance.sh', [pidFile], {}, 60_000);
    },
  };
}
