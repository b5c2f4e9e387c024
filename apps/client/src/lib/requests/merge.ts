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

/**
 * Merges ascending streams of pages (each page ascending, pages in order) into groups of the
 * items that share a key, in key order, handed out `batch` groups at a time: an item costs a
 * comparison, not an await, which a listing of millions of keys from several nodes notices.
 * A source's next page is awaited only when its page runs out (its next key may be the least).
 */
export async function* groupSortedPages<T>(
  sources: ReadonlyArray<AsyncIterator<readonly T[]>>,
  keyOf: (item: T) => string,
  batch = 1000,
): AsyncGenerator<T[][]> {
  const pages: Array<readonly T[] | undefined> = new Array(sources.length);
  const at = new Array<number>(sources.length).fill(0);
  /** Makes source i's head an item (undefined page: the source is done). */
  const refill = async (i: number) => {
    while (pages[i] !== undefined && at[i]! >= pages[i]!.length) {
      const next = await sources[i]!.next();
      pages[i] = next.done ? undefined : next.value;
      at[i] = 0;
    }
  };
  for (let i = 0; i < sources.length; i++) pages[i] = [];
  await Promise.all(sources.map((_, i) => refill(i)));
  let out: T[][] = [];
  for (;;) {
    let least: string | undefined;
    for (let i = 0; i < sources.length; i++) {
      const page = pages[i];
      if (page === undefined) continue;
      const key = keyOf(page[at[i]!]!);
      if (least === undefined || key < least) least = key;
    }
    if (least === undefined) break;
    const group: T[] = [];
    for (let i = 0; i < sources.length; i++) {
      const page = pages[i];
      if (page === undefined || keyOf(page[at[i]!]!) !== least) continue;
      group.push(page[at[i]!]!);
      at[i]!++;
      if (at[i]! >= page.length) await refill(i);
    }
    out.push(group);
    if (out.length >= batch) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}
