import type { MovedEntry } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { FENCE_LEASE_MS } from "../src/cluster/migration.js";
import { bare, setup } from "./support/migration-setup.js";
import { next } from "./support/pinned-ring.js";

/**
 * A Migration on node a moving towards `next` (support/pinned-ring.ts):
 *
 *   next = ring [a, b]:   0..100 → a,   101..200 → b,   201.. → a (wraps)
 *
 * keys 101..200 leave a, others stay. Which keys leave, what a fetch returns, how fences hold.
 */

describe("the hand-pinned placement", () => {
  it("puts 101..200 on b and everything else on a", () => {
    expect(["50", "100", "101", "150", "200", "201", "250"].map((k) => next.locate(k))).toEqual([
      "a",
      "a",
      "b",
      "b",
      "b",
      "a",
      "a",
    ]);
  });
});

describe("Migration.leaving", () => {
  it("is true exactly for keys the next placement puts on another node", () => {
    const { m } = setup();
    expect(m.leaving("150")).toBe(true); // → b
    expect(m.leaving("50")).toBe(false); // → a
    expect(m.leaving("250")).toBe(false); // wraps → a
  });
});

describe("Migration.fetch", () => {
  it("returns the values and tombstones of leaving keys only, in the order asked, and fences them", () => {
    const { store, m } = setup({ "50": "s50", "120": "v120", "150": "v150", "180": "v180", "250": "s250" });
    m.tombstone("130"); // deleted here while its move was pending

    const keys = ["180", "50", "120", "130", "150", "250", "160"];
    const { entries, fetched } = m.fetch(store, keys, 1_000_000);

    // 50 and 250 stay on a; 160 is leaving but held nowhere here (no value, no tombstone).
    expect(bare(entries)).toStrictEqual<MovedEntry[]>([
      { key: "180", value: "v180" },
      { key: "120", value: "v120" },
      { key: "130", deleted: true },
      { key: "150", value: "v150" },
    ]);
    expect(fetched).toBe(keys.length);
    for (const k of ["180", "120", "130", "150"]) expect(m.fenced(k), k).toBe(true);
    for (const k of ["50", "250", "160"]) expect(m.fenced(k), k).toBe(false);
    // Fetching reads; only commit deletes.
    expect(store.get("150")).toBe("v150");
  });

  it("skips keys that are already fenced, so a second fetch returns nothing new", () => {
    const { store, m } = setup({ "120": "x", "150": "y" });
    expect(m.fetch(store, ["120"], 1_000_000).entries).toHaveLength(1);
    const again = m.fetch(store, ["120", "150"], 1_000_000);
    expect(bare(again.entries)).toStrictEqual([{ key: "150", value: "y" }]);
    expect(again.fetched).toBe(2);
  });

  it("stops at the byte budget and says how many keys it handled, so the caller continues from there", () => {
    // Each entry is estimated at key (3) + value (10) + 32 = 45 bytes. With a budget of 100 the
    // loop takes entries while the running total is below 100: 0 → 45 → 90 → 135, so three.
    const values: Record<string, string> = {};
    for (const k of ["110", "120", "130", "140", "150"]) values[k] = "0123456789";
    const { store, m } = setup(values);
    const keys = Object.keys(values);

    const first = m.fetch(store, keys, 100);
    expect(first.fetched).toBe(3);
    expect(first.fetched).toBeLessThan(keys.length);
    expect(first.entries.map((e) => e.key)).toEqual(["110", "120", "130"]);
    expect(m.fenced("140")).toBe(false); // not handled, so not fenced

    const rest = m.fetch(store, keys.slice(first.fetched), 100);
    expect(rest.fetched).toBe(2);
    expect(rest.entries.map((e) => e.key)).toEqual(["140", "150"]);
  });

  it("always takes at least one entry, even one larger than the budget, so paging makes progress", () => {
    const { store, m } = setup({ "150": "x".repeat(500), "160": "y" });
    const { entries, fetched } = m.fetch(store, ["150", "160"], 100);
    expect(entries.map((e) => e.key)).toEqual(["150"]);
    expect(fetched).toBe(1);
  });

  it("counts skipped keys (staying, absent, fenced) as handled without spending budget on them", () => {
    const { store, m } = setup({ "50": "s", "150": "v" });
    const { entries, fetched } = m.fetch(store, ["50", "160", "150"], 1);
    expect(bare(entries)).toStrictEqual([{ key: "150", value: "v" }]);
    expect(fetched).toBe(3);
  });
});

describe("Migration fences", () => {
  it("hold until FENCE_LEASE_MS after the fetch, then lift by themselves", () => {
    const { clock, store, m } = setup({ "150": "v" });
    const t0 = clock.t;
    m.fetch(store, ["150"], 1_000_000);
    clock.t = t0 + FENCE_LEASE_MS - 1;
    expect(m.fenced("150")).toBe(true);
    clock.t = t0 + FENCE_LEASE_MS; // the lease is [t0, t0 + FENCE_LEASE_MS)
    expect(m.fenced("150")).toBe(false);
    clock.t = t0; // once lifted, a fence stays lifted
    expect(m.fenced("150")).toBe(false);
  });

  it("lift on commit", () => {
    const { store, m } = setup({ "150": "v" });
    m.fetch(store, ["150"], 1_000_000);
    expect(m.fenced("150")).toBe(true);
    m.commit(store, ["150"]);
    expect(m.fenced("150")).toBe(false);
  });

  it("of an expired lease let the key be fetched again, with a fresh lease", () => {
    const { clock, store, m } = setup({ "150": "v" });
    m.fetch(store, ["150"], 1_000_000);
    clock.t += FENCE_LEASE_MS;
    expect(bare(m.fetch(store, ["150"], 1_000_000).entries)).toStrictEqual([{ key: "150", value: "v" }]);
    clock.t += FENCE_LEASE_MS - 1;
    expect(m.fenced("150")).toBe(true);
  });
});
