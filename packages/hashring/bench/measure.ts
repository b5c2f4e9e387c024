import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Timing and memory helpers for the benchmark; numbers only, no assertions. */

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Heap plus array-buffer bytes after full GCs; the pauses let V8 free array buffers, which it does lazily. */
async function settledBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * Bytes retained per instance built by `build`: `copies` instances are kept alive and compared
 * with a settled baseline, so allocation noise is divided by `copies`. Also returns the mean
 * build time in milliseconds and one of the instances.
 */
export async function retainedBytes<T>(
  build: () => T,
  copies = 32,
): Promise<{ value: T; bytes: number; buildMs: number }> {
  build();
  const before = await settledBytes();
  const start = process.hrtime.bigint();
  const kept = Array.from({ length: copies }, build);
  const buildMs = Number(process.hrtime.bigint() - start) / 1e6 / copies;
  const bytes = ((await settledBytes()) - before) / copies;
  return { value: kept[0]!, bytes: Math.max(0, bytes), buildMs };
}

let sink = 0;

/** Something measured per key: a lookup (returns the owner) or a hash (returns a number). */
export type PerKey = (key: string) => string | number;

/** One pass of `fn` over `keys`, returning a value that depends on every answer. */
type Pass = (fn: PerKey, keys: readonly string[]) => number;

/**
 * A fresh copy of the pass loop. Each measurement gets its own, so the JIT's call-site feedback
 * sees one `fn` only; a shared loop turns megamorphic after a few placements and then slows
 * down every measurement that follows it.
 */
function freshPass(): Pass {
  return new Function(
    "fn",
    "keys",
    `let s = 0;
    for (let i = 0; i < keys.length; i++) {
      const r = fn(keys[i]);
      s ^= typeof r === "string" ? r.length : r;
    }
    return s;`,
  ) as Pass;
}

/**
 * Calls per second of `fn` (a lookup or a hash) over `keys`: one warm-up pass, then passes until `minMs` have
 * elapsed; the best of `rounds` such runs is reported, which filters out GC and scheduler noise.
 */
export function opsPerSecond(fn: PerKey, keys: readonly string[], minMs = 250, rounds = 3): number {
  const pass = freshPass();
  sink ^= pass(fn, keys);
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let done = 0;
    let elapsed = 0;
    const start = process.hrtime.bigint();
    while (elapsed < minMs) {
      sink ^= pass(fn, keys);
      done += keys.length;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    best = Math.max(best, done / (elapsed / 1000));
  }
  return best;
}

/** Keeps the JIT from discarding lookups whose results are otherwise unused. */
export function consumeSink(): number {
  return sink;
}

/** Prints rows as a Markdown table, so the output can be pasted into the README as is. */
export function printTable(header: string[], rows: (string | number)[][]): void {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  console.log(line(header));
  console.log(line(header.map(() => "---")));
  for (const row of rows) console.log(line(row));
}

/** Formats a rate as millions per second with two decimals. */
export function mops(rate: number): string {
  return `${(rate / 1e6).toFixed(2)} M/s`;
}

/** Formats a byte count in KiB. */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
