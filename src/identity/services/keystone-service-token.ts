/**
 * The service token the Keystone authenticator asks with: obtained once (password method, project
 * scope), reused until shortly before it expires, and dropped when Keystone refuses it. At most one
 * authentication runs at a time; concurrent callers share it.
 */
import type { Clock } from '../../base/clock.ts';
import type { KeystoneClient, ServiceToken } from './keystone-client.ts';

/** Renew the service token this long before it expires (keystoneauth's stale window), or at half its life. */
const SERVICE_TOKEN_MARGIN_MS = 120_000;

/** Holds the current service token and obtains a new one when it is due. */
export class ServiceTokenHolder {
  private readonly keystone: Pick<KeystoneClient, 'issueServiceToken'>;
  private readonly clock: Clock;
  private readonly logger: { debug(details: object, message: string): void };
  private current: (ServiceToken & { renewAtMs: number }) | undefined;
  private inFlight: Promise<string> | undefined;

  constructor(
    keystone: Pick<KeystoneClient, 'issueServiceToken'>,
    clock: Clock,
    logger: { debug(details: object, message: string): void },
  ) {
    this.keystone = keystone;
    this.clock = clock;
    this.logger = logger;
  }

  /** The current service token, authenticating first when there is none or it is due for renewal. */
  get(): Promise<string> {
    const nowMs = this.clock.now().getTime();
    if (this.current !== undefined && nowMs < this.current.renewAtMs) return Promise.resolve(this.current.value);
    this.inFlight ??= this.keystone.issueServiceToken().then(
      (issued) => {
        const margin = Math.min(SERVICE_TOKEN_MARGIN_MS, (issued.expiresAtMs - nowMs) / 2);
        this.current = { ...issued, renewAtMs: issued.expiresAtMs - margin };
        this.inFlight = undefined;
        this.logger.debug({ expiresAt: new Date(issued.expiresAtMs).toISOString() }, 'obtained a Keystone service token');
        return issued.value;
      },
      (error: unknown) => {
        this.inFlight = undefined;
        throw error;
      },
    );
    return this.inFlight;
  }

  /** Keystone refused `used`: forget it, unless a newer token has replaced it meanwhile. */
  refused(used: string): void {
    if (this.current?.value === used) this.current = undefined;
  }

  /** Forgets the current token: the next get() authenticates again. */
  clear(): void {
    this.current = undefined;
  }
}
