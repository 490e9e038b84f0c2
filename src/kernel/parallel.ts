// Running many effects with a bound on how many run at once.

/** Runs fn over items, at most `limit` at a time, and returns the results in item order. The
 * first failure is thrown after the others have settled (nothing is left running behind it). */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (e) {
        errors.push(e);
      }
    }
  });
  await Promise.all(workers);
  if (errors.length > 0) throw errors[0];
  return out;
}
