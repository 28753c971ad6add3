/**
 * The command line: which command runs with which configuration file, the usage text of
 * `--help`, and the version of `--version`. Every refusal is one line that points at --help.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OperatorError } from './operator-error.ts';

export type Invocation =
  | { command: 'help' | 'version' | 'hash-password' }
  | { command: 'serve' | 'migrate'; configPath: string | undefined }
  | { command: 'check-config'; configPath: string };

export const USAGE = `Usage: glance-share [COMMAND] [--config FILE]

An OpenStack Glance-compatible image-sharing service (Glance v2 images and image members API).

Commands:
  serve                serve the API (the default command); HOST and PORT override the
                       listen address of the configuration
  migrate              bring the database schema up to date, then exit
  hash-password        read a password and print its scrypt hash, for auth.users[].passwordHash:
                       on a terminal it asks twice without echo; from a pipe it reads the
                       first line of stdin. Never from the command line
  check-config FILE    validate FILE as serve would and print the effective configuration as
                       JSON, secrets masked; exits 1 with the problems when it would not start
  help                 print this help

Options:
  --config FILE        the configuration file (JSON, see schemas/config.json); also
                       GLANCE_SHARE_CONFIG=FILE. Without one the service runs the demo
                       identity ({ "auth": { "demo": true } }) on 127.0.0.1:9292
  -h, --help           print this help and exit
  --version            print the version and exit

Environment:
  GLANCE_SHARE_CONFIG  the configuration file, as --config FILE
  HOST, PORT           override "host" and "port" of the configuration
`;

const COMMANDS = ['serve', 'migrate', 'hash-password', 'check-config', 'help'] as const;
const OPTIONS = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } } as const;

const refuse = (text: string): OperatorError => new OperatorError([`glance-share: ${text} (see glance-share --help)`]);

/** The arguments after `node server.js`, and GLANCE_SHARE_CONFIG, → what to run. */
export function parseCommandLine(args: readonly string[], envConfigPath: string | undefined): Invocation {
  const { values, positionals, tokens } = parseArgs({
    args: [...args],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    // The name only: an unknown `--password=…` must not echo the password.
    if (!Object.hasOwn(OPTIONS, token.name)) throw refuse(`unknown option ${token.rawName}`);
    if (token.name === 'config' && (token.value === undefined || token.value === '')) throw refuse('--config needs a FILE');
    if (token.name !== 'config' && token.value !== undefined) throw refuse(`${token.rawName} takes no value`);
  }
  if (values['help'] === true) return { command: 'help' };
  if (values['version'] === true) return { command: 'version' };
  const [command = 'serve', ...rest] = positionals;
  if (!(COMMANDS as readonly string[]).includes(command)) throw refuse(`unknown command ${JSON.stringify(command)}`);
  const flagPath = typeof values['config'] === 'string' ? values['config'] : undefined;
  const configPath = flagPath ?? (envConfigPath === '' ? undefined : envConfigPath);
  switch (command) {
    case 'help':
      return { command };
    case 'hash-password':
      // Never the password itself: the process list and the shell history would keep it.
      if (rest.length > 0) throw refuse('hash-password takes no arguments: it reads the password from the terminal or from stdin');
      return { command };
    case 'check-config': {
      const [file = configPath, ...more] = rest;
      if (file === undefined || more.length > 0) throw refuse('check-config needs exactly one FILE');
      return { command, configPath: file };
    }
    default:
      if (rest.length > 0) throw refuse(`${command} takes no arguments, only --config FILE`);
      return { command: command as 'serve' | 'migrate', configPath };
  }
}

/** The version in package.json, found from this file: src/cli/ under tsx, dist/cli/ compiled. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}
