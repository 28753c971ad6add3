/**
 * Runs glance-share as a real child process (src/server.ts under tsx) on a free loopback port,
 * for tests that need several processes on one database, or a real server for real clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from './build-app.ts';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** Listen on this port (picked with freePort()) when a peer must know the URL up front; default: any free port. */
  port?: number;
}

/**
 * The port of the service's `glance-share listening` log line on the child's stdout; rejects with
 * the child's stderr when it exits first or does not listen within `timeoutMs`. Other lines (npm's
 * banner, other log lines) are skipped.
 */
export function listeningPort(child: ChildProcess, timeoutMs: number, stderrOf: () => string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${timeoutMs} ms: ${stderrOf()}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderrOf()}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'glance-share listening' && typeof entry.port === 'number') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not a log line
      }
    });
  });
}

export async function startServer(
  config: Record<string, unknown>,
  configPath: string,
  options: StartServerOptions = {},
): Promise<ServerProcess> {
  writeFileSync(configPath, JSON.stringify({ logLevel: 'info', ...config }));
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'server.ts'), '--config', configPath], {
    cwd: projectRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(options.port ?? 0) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await listeningPort(child, 30_000, () => stderr);
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
