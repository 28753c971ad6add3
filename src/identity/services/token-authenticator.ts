/** What the authenticate middleware needs from an identity mode: a token → the caller it stands for. */
import type { Caller } from '../../base/domain.ts';

/** Turns a token into the caller it stands for; undefined when it is unknown, expired or revoked. */
export interface TokenAuthenticator {
  authenticateToken(token: string): Promise<Caller | undefined>;
}
