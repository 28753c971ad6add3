/**
 * Starts glance-share (src/server.ts under tsx) as a child process on a known loopback port, so
 * that `publicUrl` — which the token catalog and the version documents hand to real clients — is
 * the address they can actually reach. (test/helpers/server-process.ts binds port 0, which suits
 * supertest but leaves `publicUrl` at port 0.) The log goes to a file next to the configuration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../helpers/build-app.ts';
import { freePort } from '../../helpers/free-port.ts';

export interface GlanceShare {
  /** `http://127.0.0.1:PORT`: the image endpoint and, in builtin mode, the identity root's parent. */
  url: string;
  port: number;
  logFile: string;
  /** SIGTERM, then wait for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where the configuration, the log and (unless the config says otherwise) the data go. */
  workDir: string;
  /** A port chosen up front (keystone mode needs the image URL before glance-share starts). */
  port?: number;
}

const START_TIMEOUT_MS = 30_000;

/**
 * Writes `config` (plus port, publicUrl, dataDir, logLevel) to WORKDIR/glance-share.json and
 * starts the server; resolves once `GET /versions` answers. Retries on a fresh port when the
 * chosen one was taken in the meantime (unless the caller fixed the port).
 */
export async function startGlanceShare(config: Record<string, unknown>, options: StartOptions): Promise<GlanceShare> {
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port === undefined ? 3 : 1); attempt += 1) {
    const port = options.port ?? (await freePort());
    try {
      return await startOnce(config, options.workDir, port, attempt);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(config: Record<string, unknown>, workDir: string, port: number, attempt: number): Promise<GlanceShare> {
  const url = `http://127.0.0.1:${port}`;
  const configPath = join(workDir, 'glance-share.json');
  const logFile = join(workDir, `glance-share-${attempt}.log`);
  writeFileSync(
    configPath,
    JSON.stringify({ dataDir: join(workDir, 'data'), logLevel: 'info', ...config, host: '127.0.0.1', port, publicUrl: url }, null, 2),
  );
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'server.ts'), '--config', configPath], {
      cwd: projectRoot,
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`glance-share exited (${child.exitCode ?? child.signalCode}) before answering on ${url}:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${url}/versions`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return { url, port, logFile, stop };
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
  await stop();
  throw new Error(`glance-share did not answer on ${url} within ${START_TIMEOUT_MS / 1000} s:\n${tail(logFile)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}
