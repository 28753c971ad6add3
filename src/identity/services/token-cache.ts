/**
 * A small bounded cache of validated tokens (token hash → value), so that `/v2` requests are
 * answered from memory instead of a database round trip. Entries live at most `maxAgeMs` because
 * another instance may revoke a token in the shared database; a local revocation drops the entry
 * at once. Eviction is insertion order with refresh on hit (a Map keeps insertion order), which is
 * LRU-enough for a hot set of a few thousand tokens.
 */
/** Cached values by token hash, each with its own expiry. */
export interface TokenCache<V> {
  get(tokenHash: string, nowMs: number): V | undefined;
  /** Caches `value` until `min(now + maxAge, notAfterMs)`. */
  set(tokenHash: string, value: V, nowMs: number, notAfterMs: number): void;
  delete(tokenHash: string): void;
}

/** A cache of at most `maxEntries` entries, each kept at most `maxAgeMs`. */
export function createTokenCache<V>(options: { maxEntries: number; maxAgeMs: number }): TokenCache<V> {
  const entries = new Map<string, { value: V; until: number }>();
  return {
    get(tokenHash, nowMs) {
      const entry = entries.get(tokenHash);
      if (entry === undefined) return undefined;
      if (entry.until <= nowMs) {
        entries.delete(tokenHash);
        return undefined;
      }
      entries.delete(tokenHash);
      entries.set(tokenHash, entry);
      return entry.value;
    },
    set(tokenHash, value, nowMs, notAfterMs) {
      const until = Math.min(nowMs + options.maxAgeMs, notAfterMs);
      if (until <= nowMs) return;
      entries.delete(tokenHash);
      while (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
      entries.set(tokenHash, { value, until });
    },
    delete(tokenHash) {
      entries.delete(tokenHash);
    },
  };
}
