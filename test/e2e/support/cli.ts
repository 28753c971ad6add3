/**
 * Runs the real OpenStack clients (Debian's /usr/bin/openstack, /usr/bin/glance, /usr/bin/python3)
 * as child processes, each bounded by a timeout, with an environment that carries only what the
 * test sets: no OS_* variable or clouds.yaml from the machine running the suite can leak in.
 */
import { spawn } from 'node:child_process';
import type { Account } from './identity.ts';

export const OPENSTACK = '/usr/bin/openstack';
export const GLANCE = '/usr/bin/glance';
export const PYTHON = '/usr/bin/python3';

/** One client call takes 1–2 s; a hung one must not hold the suite. */
export const CLI_TIMEOUT_MS = 60_000;

export interface CliResult {
  /** Exit status; null when the process was killed (see `timedOut`). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
  /** The command line, for assertion messages. */
  command: string;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  cwd?: string;
}

/** Runs one command to completion; never rejects on a non-zero exit (tests assert on `code`). */
export function runCli(file: string, args: readonly string[], options: RunOptions): Promise<CliResult> {
  const started = Date.now();
  const command = [file, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? CLI_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, ms: Date.now() - started, command });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * The base environment for a client: PATH, a locale, and a HOME of the test's choosing (glance
 * caches schemas there, openstacksdk looks for clouds.yaml there). Every OS_* variable is dropped.
 */
export function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OS_') || key === 'HOME' || key.startsWith('PYTHON')) continue;
    env[key] = value;
  }
  return { ...env, HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1', PYTHONWARNINGS: 'ignore' };
}

/** Password authentication against Keystone v3 (or glance-share's built-in identity), as users set it. */
export function passwordEnv(home: string, authUrl: string, account: Account): NodeJS.ProcessEnv {
  return {
    ...cleanEnv(home),
    OS_AUTH_URL: authUrl,
    OS_IDENTITY_API_VERSION: '3',
    OS_AUTH_TYPE: 'password',
    OS_USERNAME: account.username,
    OS_PASSWORD: account.password,
    OS_PROJECT_NAME: account.projectName,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: 'RegionOne',
    OS_INTERFACE: 'public',
  };
}

/** A readable assertion message: the command, its exit status and both streams. */
export function describeResult(result: CliResult): string {
  return `${result.command}\n  exit ${result.code}${result.timedOut ? ' (timed out)' : ''} after ${result.ms} ms\n  stdout: ${result.stdout.trim()}\n  stderr: ${result.stderr.trim()}`;
}

/** What a user must never see instead of Glance's message. */
export function unreadableParts(text: string): string[] {
  const problems: string[] = [];
  if (/Traceback \(most recent call last\)/.test(text)) problems.push('a Python traceback');
  if (/<html|<body|<h1>|<\/?title>/i.test(text)) problems.push('raw HTML');
  if (/<br\s*\/?>/i.test(text)) problems.push('an HTML line break');
  if (/'str' object has no attribute|object has no attribute/.test(text)) problems.push('a client crash message');
  return problems;
}

/**
 * Rows of a prettytable as printed by the glance CLI: the first row is the header, and each later
 * row becomes an object keyed by it.
 */
export function parseTable(output: string): Array<Record<string, string>> {
  const rows = output
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  const [header, ...body] = rows;
  if (header === undefined) return [];
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

/** A Property/Value table (glance image-create, image-show) as one object. */
export function parsePropertyTable(output: string): Record<string, string> {
  return Object.fromEntries(parseTable(output).map((row) => [row['Property'] ?? '', row['Value'] ?? '']));
}
