/**
 * Group commit per key: at most one batch per key runs at a time, and whatever is submitted for
 * that key while it runs waits and goes into the next batch, together. Nothing waits for a timer:
 * a submission to an idle key runs at once, as a batch of one.
 *
 * Why: writes that must be serialised anyway (adds to one image run under that image's lock, see
 * members/store/member-adds.ts) pay a transaction, a lock and a durable commit each. Run as one batch, N of
 * them pay it once, and each is still decided in arrival order, exactly as if they had run one
 * after the other.
 */

export interface KeyedBatches<Item, Result> {
  /** Resolves or rejects with this item's own outcome, once its batch has run. */
  submit(key: string, item: Item): Promise<Result>;
}

/**
 * `run` decides a batch and gives one outcome per item, in order. When it throws, every item of
 * the batch gets that error.
 */
export type RunBatch<Item, Result> = (key: string, items: readonly Item[]) => Promise<PromiseSettledResult<Result>[]>;

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(reason: unknown): void;
}

export function createKeyedBatches<Item, Result>(run: RunBatch<Item, Result>, maxBatchSize: number): KeyedBatches<Item, Result> {
  /** A key is present while its batches run; its array holds what waits for the next batch. */
  const waitingByKey = new Map<string, Waiting<Item, Result>[]>();

  async function runBatches(key: string, first: Waiting<Item, Result>[]): Promise<void> {
    let batch = first;
    while (batch.length > 0) {
      try {
        const outcomes = await run(
          key,
          batch.map((waiting) => waiting.item),
        );
        batch.forEach((waiting, index) => {
          const outcome = outcomes[index];
          if (outcome === undefined) waiting.reject(new Error(`batch for ${key} gave no outcome for item ${index}`));
          else if (outcome.status === 'fulfilled') waiting.resolve(outcome.value);
          else waiting.reject(outcome.reason);
        });
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
      batch = waitingByKey.get(key)!.splice(0, maxBatchSize);
    }
    waitingByKey.delete(key);
  }

  return {
    submit(key, item) {
      return new Promise<Result>((resolve, reject) => {
        const waiting = waitingByKey.get(key);
        if (waiting !== undefined) {
          waiting.push({ item, resolve, reject });
          return;
        }
        waitingByKey.set(key, []);
        void runBatches(key, [{ item, resolve, reject }]);
      });
    },
  };
}
