/**
 * Runs the `glance-share` command line (src/server.ts under tsx) as a real process and collects
 * what it prints and how it exits, for test/api/cli-*.test.ts. stdin is a pipe (never a terminal),
 * and GLANCE_SHARE_CONFIG, HOST and PORT come only from `env`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './build-app.ts';

/** tsx's loader by URL, so that the command also runs with a working directory outside the project. */
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** How long the process ran. */
  ms: number;
}

export interface CliOptions {
  /** Written to stdin, which is then closed (default: nothing). */
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/** Spawns the command with a piped stdin, stdout and stderr. */
export function spawnCli(args: readonly string[], { env = {}, cwd = projectRoot }: CliOptions = {}): ChildProcess {
  const inherited = { ...process.env };
  for (const name of ['GLANCE_SHARE_CONFIG', 'HOST', 'PORT']) delete inherited[name];
  return spawn(process.execPath, ['--import', TSX, join(projectRoot, 'src', 'server.ts'), ...args], {
    cwd,
    env: { ...inherited, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs the command to its end (killed after `timeoutMs`, 30 s by default). */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const started = Date.now();
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The non-empty lines of `text`. */
export const linesOf = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');
