import { describe, expect, it } from "vitest";
import { ConsistentHashRing, type Placement, RendezvousHash } from "../src/index.js";

/**
 * Pinned placements: the owners of a few keys under each algorithm, recorded once. The hash
 * vectors pin the hash; this pins everything built on it (vnode labels, token tie-breaks, HRW
 * seeds and mixing). A failure here means a release would move keys in a running cluster.
 */

const nodes = ["node-0", "node-1", "node-2", "node-3", "node-4"];
const weighted = nodes.map((id, i) => ({ id, weight: 1 + (i % 3) }));
const keys = Array.from({ length: 12 }, (_, i) => `user:${i}`);

/** Owners of user:0..user:11 as the digit of `node-<digit>`. */
const owners = (placement: Placement) => keys.map((k) => placement.locate(k).slice("node-".length)).join("");

describe("pinned placements", () => {
  it.each([
    ["ring", new ConsistentHashRing(nodes), "202211040130"],
    ["ring, weighted", new ConsistentHashRing(weighted), "202111442132"],
    ["hrw", new RendezvousHash(nodes), "334024413130"],
    ["hrw, weighted", new RendezvousHash(weighted), "334224412112"],
  ])("%s", (_, placement, expected) => {
    expect(owners(placement)).toBe(expected);
  });
});
