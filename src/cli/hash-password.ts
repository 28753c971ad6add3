/**
 * `glance-share hash-password`: prints the scrypt hash of a password for
 * `auth.users[].passwordHash`, and nothing else on stdout. On a terminal the password is typed
 * twice without echo (raw mode); from a pipe it is the first line of stdin, its line ending
 * dropped and any other whitespace kept. Never from the command line, where the process list and
 * the shell history would keep it (command-line.ts refuses any argument).
 *
 *   glance-share hash-password
 *   printf '%s\n' "$PASSWORD" | glance-share hash-password
 */
import type { ReadStream } from 'node:tty';
import { hashPassword } from '../identity/services/password-hash.ts';
import { OperatorError } from './operator-error.ts';

const refuse = (text: string): OperatorError => new OperatorError([`glance-share: hash-password: ${text}`]);

export async function hashPasswordCommand(): Promise<void> {
  const password = process.stdin.isTTY ? await askTwice(process.stdin) : await readFirstLine(process.stdin);
  if (password === '') throw refuse('empty password refused');
  process.stdout.write(`${await hashPassword(password)}\n`);
}

async function askTwice(terminal: ReadStream): Promise<string> {
  const first = await readHidden(terminal, 'Password: ');
  if (first === '') throw refuse('empty password refused');
  const second = await readHidden(terminal, 'Repeat the password: ');
  if (first !== second) throw refuse('the two passwords differ; nothing was hashed');
  return first;
}

/** The first line of a piped stdin (all of it when it has no line ending), without its CR LF or LF. */
async function readFirstLine(input: NodeJS.ReadStream): Promise<string> {
  input.setEncoding('utf8');
  let text = '';
  for await (const chunk of input) {
    text += chunk as string;
    const end = text.indexOf('\n');
    if (end >= 0) {
      text = text.slice(0, end);
      break;
    }
  }
  return text.replace(/\r$/, '');
}

/**
 * One line typed on the terminal without echo: raw mode, so the terminal shows nothing; the
 * prompt goes to stderr. Enter or Ctrl-D ends it, Backspace and Ctrl-U edit it, Ctrl-C cancels.
 */
function readHidden(terminal: ReadStream, prompt: string): Promise<string> {
  process.stderr.write(prompt);
  terminal.setRawMode(true);
  terminal.setEncoding('utf8');
  terminal.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (settle: () => void): void => {
      terminal.off('data', onData);
      terminal.setRawMode(false);
      terminal.pause();
      process.stderr.write('\n');
      settle();
    };
    const onData = (chunk: string): void => {
      // An escape sequence (arrow keys, function keys) is not part of a password.
      if (chunk.startsWith('\u001b')) return;
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish(() => resolve(value));
        if (char === '\u0003') return finish(() => reject(refuse('cancelled')));
        if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (char === '\u0015') value = '';
        else if (char >= ' ') value += char;
      }
    };
    terminal.on('data', onData);
  });
}
