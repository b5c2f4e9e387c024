import { createPlacement, type Placement } from "@zkv/hashring";

/**
 * Rings with one virtual node per node and a trivial hash, so owners can be checked by hand:
 * vnode `1:a:0` sits at 100, `1:b:0` at 200; a key (a decimal number) hashes to its value and
 * belongs to the first token at or after it, wrapping to the lowest one.
 *
 *   current = ring [a]:     every key → a
 *   next    = ring [a, b]:  0..100 → a,  101..200 → b (these move),  201.. → a (wraps)
 */
const TOKENS: Record<string, number> = { "1:a:0": 100, "1:b:0": 200 };
const trivialHash = (s: string): number => TOKENS[s] ?? Number(s);
const ring = (nodes: string[]): Placement => createPlacement("ring", nodes, { vnodes: 1, hash: trivialHash });
/** The placement before b joins. */
export const current = ring(["a"]);
/** The placement after b joined. */
export const next = ring(["a", "b"]);
