/**
 * The environment a node process starts with: the launcher's, its options' and, unless either
 * sets it, a fixed glibc mmap threshold of 128 KiB.
 *
 * glibc serves a malloc of 128 KiB or more with its own mmap, returned to the OS on free, but
 * each such free raises the threshold to the freed block's size (up to 32 MiB). A node's large
 * blocks are the bulk messages it receives (~0.5 MiB each, freed at once) and the store's
 * arena chunks (64 KiB to 8 MiB, kept): after the first message is freed both land in the heap,
 * interleaved, and the messages' holes cannot be given back. `pnpm bench --only bulk`, 1M keys,
 * three alternated pairs with and without this default: RSS per key 181.6–183.6 bytes with it,
 * 252–310 without (live data 163–167 both), the same CPU per op, bulk throughput ~3% lower
 * (every message mmapped and unmapped; docs/performance.md, Memory per key).
 */
export function nodeEnv(base: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...base, ...extra };
  env.MALLOC_MMAP_THRESHOLD_ ??= String(128 * 1024);
  return env;
}
