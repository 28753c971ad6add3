/**
 * Issued tokens of the built-in identity. Only the SHA-256 of a token is ever stored, so a copy of
 * the database does not hand out usable tokens. Rows live in the shared database so that tokens
 * survive restarts and are honoured by every instance.
 */
import type { Db } from '../../store/db.ts';

/** One issued token, as the identity service sees it. Times are ISO-8601 UTC strings. */
export interface TokenRecord {
  /** Hex SHA-256 of the token string. */
  tokenHash: string;
  userId: string;
  projectId: string;
  /** Authentication methods, in Keystone's order (e.g. ["token", "password"]). */
  methods: string[];
  auditId: string;
  /** Audit id of the token this one was re-issued from; undefined for a fresh authentication. */
  parentAuditId: string | undefined;
  issuedAt: string;
  expiresAt: string;
}

/** Where the built-in identity keeps its tokens, by hash; the service never sees another key. */
export interface TokenStore {
  insert(record: TokenRecord): Promise<void>;
  find(tokenHash: string): Promise<TokenRecord | undefined>;
  /** Returns whether a row was deleted. */
  delete(tokenHash: string): Promise<boolean>;
  /** Deletes tokens whose expiry is before `cutoff` (ISO string); returns how many. */
  purgeExpiredBefore(cutoff: string): Promise<number>;
}

interface TokenRow {
  token_hash: string;
  user_id: string;
  project_id: string;
  methods: string;
  audit_id: string;
  parent_audit_id: string | null;
  issued_at: string;
  expires_at: string;
}

const TABLE = 'tokens';

function toRecord(row: TokenRow): TokenRecord {
  return {
    tokenHash: row.token_hash,
    userId: row.user_id,
    projectId: row.project_id,
    methods: row.methods === '' ? [] : row.methods.split(','),
    auditId: row.audit_id,
    parentAuditId: row.parent_audit_id ?? undefined,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
  };
}

function toRow(record: TokenRecord): TokenRow {
  return {
    token_hash: record.tokenHash,
    user_id: record.userId,
    project_id: record.projectId,
    // Method names are Keystone identifiers ("password", "token"): never contain a comma.
    methods: record.methods.join(','),
    audit_id: record.auditId,
    parent_audit_id: record.parentAuditId ?? null,
    issued_at: record.issuedAt,
    expires_at: record.expiresAt,
  };
}

/** The knex implementation, on the `tokens` table of migration 0001. */
export class KnexTokenStore implements TokenStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async insert(record: TokenRecord): Promise<void> {
    await this.db<TokenRow>(TABLE).insert(toRow(record));
  }

  async find(tokenHash: string): Promise<TokenRecord | undefined> {
    const row = await this.db<TokenRow>(TABLE).where({ token_hash: tokenHash }).first();
    return row === undefined ? undefined : toRecord(row);
  }

  async delete(tokenHash: string): Promise<boolean> {
    const count = await this.db<TokenRow>(TABLE).where({ token_hash: tokenHash }).delete();
    return count > 0;
  }

  async purgeExpiredBefore(cutoff: string): Promise<number> {
    // Uses tokens_expires_at_idx; timestamps are all toISOString() output, so text order is time order.
    return this.db<TokenRow>(TABLE).where('expires_at', '<', cutoff).delete();
  }
}

/** The token store of the shared database (what app.ts wires). */
export function createTokenStore(db: Db): TokenStore {
  return new KnexTokenStore(db);
}
