import { getHeapStatistics } from "node:v8";
import type { MemoryProbe } from "../requests/stats.js";

/**
 * This process's memory, as STATS reports it. Collecting first needs a process started with
 * --expose-gc (STATS `gc`); without it the heap is measured as it is. `heapUsedBytes` is the V8
 * heap plus the memory outside it that its objects own (Buffers): the MemoryStore keeps keys and
 * values in Buffers, so the heap alone would leave the data out.
 */
export const processMemory: MemoryProbe = {
  read(collectFirst) {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (collectFirst && gc) gc();
    const { rss, external } = process.memoryUsage();
    return { heapUsedBytes: getHeapStatistics().used_heap_size + external, rssBytes: rss };
  },
};
