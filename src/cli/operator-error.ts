/**
 * Errors an operator can act on (a port in use, a file that cannot be read, a database that does
 * not answer): server.ts prints their lines as they are, without a stack trace, and exits 1.
 */

export class OperatorError extends Error {
  constructor(
    readonly lines: readonly string[],
    options?: ErrorOptions,
  ) {
    super(lines.join('\n'), options);
    this.name = 'OperatorError';
  }
}

/**
 * A file system error as the operator needs it, without the path and system call Node appends:
 * "ENOENT: no such file or directory, open '/x'" → "ENOENT: no such file or directory".
 */
export function fsReason(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message.replace(/, \w+ '.*'$/s, '') : String(error);
  return typeof code === 'string' && !text.startsWith(code) ? `${code}: ${text}` : text;
}
