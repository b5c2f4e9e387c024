import type { MovedEntry } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { FENCE_LEASE_MS } from "../src/cluster/migration.js";
import { bare, setup } from "./support/migration-setup.js";

// A Migration on node a moving towards support/pinned-ring.ts's `next` (keys 101..200 leave a):
// the sweep that finds what the scan missed.

describe("Migration.sweep", () => {
  it("finds leaving values and tombstones, skipping fenced entries and staying keys", () => {
    const { store, m } = setup({
      "50": "s50", // stays
      "110": "v110", // leaves
      "150": "v150", // leaves, but fenced below
      "190": "v190", // leaves
      "250": "s250", // stays (wraps to a)
    });
    m.tombstone("170"); // leaves, deleted here
    m.tombstone("130"); // leaves, deleted here, fenced below
    m.fetch(store, ["150", "130"], 1_000_000);

    // Tombstones first (in the order they were made), then values in key order.
    expect(bare(m.sweep(store, 100, 1_000_000))).toStrictEqual<MovedEntry[]>([
      { key: "170", deleted: true },
      { key: "110", value: "v110" },
      { key: "190", value: "v190" },
    ]);
    // What it returned is now fenced too, so a second sweep finds nothing.
    expect(m.fenced("110")).toBe(true);
    expect(bare(m.sweep(store, 100, 1_000_000))).toStrictEqual([]);
  });

  it("returns at most `limit` entries", () => {
    const { store, m } = setup({ "110": "a", "120": "b", "130": "c" });
    m.tombstone("140");
    expect(bare(m.sweep(store, 2, 1_000_000))).toStrictEqual<MovedEntry[]>([
      { key: "140", deleted: true },
      { key: "110", value: "a" },
    ]);
    expect(m.sweep(store, 2, 1_000_000).map((e) => e.key)).toEqual(["120", "130"]);
    expect(bare(m.sweep(store, 2, 1_000_000))).toStrictEqual([]);
  });

  it("finds entries again once their fence expired", () => {
    const { clock, store, m } = setup({ "150": "v" });
    expect(m.sweep(store, 10, 1_000_000)).toHaveLength(1);
    expect(m.sweep(store, 10, 1_000_000)).toHaveLength(0);
    clock.t += FENCE_LEASE_MS;
    expect(bare(m.sweep(store, 10, 1_000_000))).toStrictEqual([{ key: "150", value: "v" }]);
  });
});
