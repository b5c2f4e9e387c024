/**
 * Merges ascending async streams into one ascending stream, pulling one item ahead per source:
 * a cluster-wide GET_ALL streams in key order without holding any node's data in memory.
 */
export async function* mergeSorted<T>(
  sources: ReadonlyArray<AsyncIterator<T>>,
  keyOf: (item: T) => string,
): AsyncGenerator<T> {
  const heads = await Promise.all(sources.map((s) => s.next()));
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i]!;
      if (head.done) continue;
      const bestHead = best === -1 ? undefined : heads[best]!;
      if (bestHead === undefined || bestHead.done || keyOf(head.value) < keyOf(bestHead.value)) best = i;
    }
    if (best === -1) return;
    const head = heads[best]!;
    if (head.done) return;
    yield head.value;
    heads[best] = await sources[best]!.next();
  }
}

/**
 * Drops items whose key equals the one before: in a merged stream, the same key from several
 * nodes (its replicas, or both ends of a move caught mid-rebalance) comes out once.
 */
export async function* uniqueSorted<T>(
  items: AsyncIterable<T>,
  keyOf: (item: T) => string,
): AsyncGenerator<T> {
  let last: string | undefined;
  let first = true;
  for await (const item of items) {
    const key = keyOf(item);
    if (!first && key === last) continue;
    first = false;
    last = key;
    yield item;
  }
}
