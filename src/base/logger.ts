/** The pino logger factory; tokens and passwords are redacted wherever they appear in a log object. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'glance-share' },
    redact: {
      paths: ['req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', 'password', '*.password', 'token', '*.token'],
      censor: '[redacted]',
    },
  });
}
