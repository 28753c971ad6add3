/**
 * The pino logger factory: one JSON object a line, `time` in ISO 8601 (UTC), tokens and passwords
 * redacted wherever they appear in a log object. `pretty` (development only) prints through the
 * pino-pretty transport, a dev dependency that is loaded only then, so production never needs it.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export interface LoggerCreateOptions {
  /** Human-readable, coloured lines through pino-pretty (a dev dependency): for `npm run dev` only. */
  pretty?: boolean;
  /** Where the JSON lines go instead of standard output (tests capture them here); ignored when `pretty`. */
  destination?: DestinationStream;
}

export function createLogger(level: string, options: LoggerCreateOptions = {}): Logger {
  const settings: LoggerOptions = {
    level,
    base: { service: 'glance-share' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', 'password', '*.password', 'token', '*.token'],
      censor: '[redacted]',
    },
  };
  if (options.pretty === true) {
    return pino({ ...settings, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:isoDateTime' } } });
  }
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}
