/**
 * Runs `fn` over `items` with at most `limit` calls in flight; stops taking
 * new items after the first failure (or an abort) and throws that failure
 * once the calls in flight have settled, so a caller's clean-up never races
 * a write still under way.
 */
export async function forEachAtOnce<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const lane = async () => {
    while (!failed && next < items.length) {
      signal?.throwIfAborted();
      await fn(items[next++]!);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, () =>
      lane().catch((err: unknown) => {
        failed ??= { err };
      }),
    ),
  );
  if (failed) throw failed.err;
}
