/**
 * Transactions and the image lock, the one idiom every store uses for a change that depends on
 * other rows (an image's member count, its current attributes).
 */
import type { Knex } from 'knex';

/** SQLite's "database is locked" (including a stale read snapshot in a deferred transaction). */
function isSqliteBusy(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 'SQLITE_BUSY';
}

const BUSY_ATTEMPTS = 20;

/**
 * Runs `work` in a transaction. SQLite transactions start deferred, so one that loses the race
 * for the write lock to another connection fails with SQLITE_BUSY instead of waiting (its read
 * snapshot is stale); nothing was written by then, so the whole transaction is simply retried.
 */
export async function inNewTransaction<T>(db: Knex, work: (trx: Knex) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (attempt >= BUSY_ATTEMPTS || !isSqliteBusy(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/**
 * The image lock: the first statement of every transaction whose decision depends on the image's
 * current state (its attributes, its member rows). A write to the image row takes PostgreSQL's row
 * lock, or SQLite's write lock, before anything is read, so such transactions on one image run one
 * after the other on every engine and across instances, and none decides on a stale read. The
 * counter it bumps means nothing else; stores that read in the same statement append `returning …`.
 */
export const IMAGE_LOCK_SQL = 'update images set member_write_seq = member_write_seq + 1 where id = ?';

/** Takes the image lock inside `trx`; false when there is no such image. */
export async function lockImage(trx: Knex, imageId: string): Promise<boolean> {
  const locked = await trx('images').where({ id: imageId }).increment('member_write_seq', 1);
  return locked > 0;
}
