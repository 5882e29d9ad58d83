// Bounded concurrency for the engine's requests (batches, read-backs, lookups).

/**
 * Runs `task` over `items` with at most `limit` in flight. On the first failure no new item
 * starts; those in flight finish (a request already sent is never abandoned), then it rejects.
 */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure;
}
