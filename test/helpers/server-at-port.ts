/**
 * Like startServer (server-process.ts), but listening on a port chosen up front, so that the
 * default `publicUrl` (http://HOST:PORT) is the real address: version documents and `Location`
 * headers then name the port clients actually use, as a deployed glance-share would.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from './build-app.ts';
import type { ServerProcess } from './server-process.ts';

export async function startServerAtPort(config: Record<string, unknown>, configPath: string, port: number): Promise<ServerProcess> {
  writeFileSync(configPath, JSON.stringify({ logLevel: 'info', ...config }));
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'server.ts'), '--config', configPath], {
    cwd: projectRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start within 30 s: ${stderr}`)), 30_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}: ${stderr}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === 'glance-share listening' && entry.port === port) {
            clearTimeout(timer);
            resolve();
          }
        } catch {
          // not a log line
        }
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, child, stop };
}
