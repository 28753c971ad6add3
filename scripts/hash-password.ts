/**
 * Prints the scrypt hash of a password, for `auth.users[].passwordHash` in the configuration file.
 * Usage: npm run hash-password -- 'secret'   or   printf %s 'secret' | npm run hash-password
 * Reading stdin keeps the password out of the shell history and the process list; one trailing
 * newline (from echo or a terminal) is dropped, other whitespace is part of the password.
 */
import { hashPassword } from '../src/identity/services/password-hash.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function main(): Promise<void> {
  const argument = process.argv[2];
  if (argument === '--help' || argument === '-h') {
    process.stdout.write('usage: hash-password [PASSWORD]   (reads the password from stdin when not given)\n');
    return;
  }
  if (argument === undefined && process.stdin.isTTY) process.stderr.write('Password (end with Enter, then Ctrl-D): ');
  const password = argument ?? (await readStdin());
  if (password === '') {
    process.stderr.write('hash-password: empty password\n');
    process.exit(1);
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`hash-password: ${(error as Error).message}\n`);
  process.exit(1);
});
