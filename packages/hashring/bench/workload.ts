import { fmix32 } from "../src/murmur3.js";

/**
 * Deterministic benchmark inputs, so two runs (or two machines) measure the same keys and nodes.
 */

/** Copies a string into a flat (non-rope, non-slice) string, the shape of one decoded from a socket. */
export function flat(s: string): string {
  return Buffer.from(s).toString();
}

/** `count` keys shaped like zkv keys (`user:<id>:<field>`, 14–20 bytes), fixed by `seed`. */
export function makeKeys(count: number, seed = 1): string[] {
  const fields = ["profile", "cart", "session", "prefs"];
  return Array.from({ length: count }, (_, i) => {
    const id = fmix32((i + Math.imul(seed, 0x9e3779b9)) | 0).toString(36);
    // A Buffer round trip yields a flat string, as a key decoded off the wire would be.
    return flat(`user:${id}:${fields[i & 3]}`);
  });
}

/** `count` node ids in `host:port` form, distinct per `cluster`, as a real membership would name them. */
export function makeNodes(count: number, cluster = 0): string[] {
  return Array.from({ length: count }, (_, i) => `10.${cluster >> 8}.${cluster & 255}.${i + 1}:7420`);
}
