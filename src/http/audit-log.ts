/** The audit port (base/audit.ts) over pino: each event one JSON line at info, message `audit`. */
import type { Logger } from 'pino';
import type { AuditEvent, AuditLog } from '../base/audit.ts';

export function createAuditLog(logger: Logger): AuditLog {
  return {
    record(event: AuditEvent): void {
      logger.info(event, 'audit');
    },
  };
}
