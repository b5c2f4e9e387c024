import { getHeapStatistics } from "node:v8";
import type { MemoryProbe } from "../requests/stats.js";

/**
 * This process's memory, as STATS reports it. Collecting first needs a process started with
 * --expose-gc (STATS `gc`); without it the heap is measured as it is.
 */
export const processMemory: MemoryProbe = {
  read(collectFirst) {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (collectFirst && gc) gc();
    return { heapUsedBytes: getHeapStatistics().used_heap_size, rssBytes: process.memoryUsage.rss() };
  },
};
