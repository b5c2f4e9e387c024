import { createPlacement } from "@zkv/hashring";
import type { MovedEntry } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { FENCE_LEASE_MS, Migration } from "../src/cluster/migration.js";
import { MemoryStore } from "../src/store/index.js";

/**
 * A ring with one virtual node per node and a trivial hash, so every placement below can be
 * checked by hand: the vnode label `1:a:0` sits at 100, `1:b:0` at 200, and a key (always a
 * decimal number here) hashes to its own value. A key belongs to the first token at or after it,
 * wrapping past 200 to a.
 *
 *   next = ring [a, b]:   0..100 → a,   101..200 → b,   201.. → a (wraps)
 *
 * The migration below runs on node a moving towards `next`: keys 101..200 leave a, others stay.
 */
const TOKENS: Record<string, number> = { "1:a:0": 100, "1:b:0": 200 };
const trivialHash = (s: string): number => TOKENS[s] ?? Number(s);
const next = createPlacement("ring", ["a", "b"], { vnodes: 1, hash: trivialHash });

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

/** Moved entries without their versions (every write has one now; these tests are about which keys move). */
function bare(entries: readonly MovedEntry[]): MovedEntry[] {
  return entries.map((e) => ("value" in e ? { key: e.key, value: e.value } : e));
}

function setup(entries: Record<string, string> = {}) {
  const clock = manualClock();
  const store = new MemoryStore();
  for (const [k, v] of Object.entries(entries)) store.put(k, v);
  const m = new Migration("run-1", next, "a", clock.now);
  return { clock, store, m };
}

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

describe("Migration.commit", () => {
  it("deletes the fetched values and tombstones and counts them", () => {
    const { store, m } = setup({ "120": "x", "150": "y" });
    m.tombstone("130");
    m.fetch(store, ["120", "130", "150"], 1_000_000);
    expect(m.commit(store, ["120", "130", "150"])).toBe(3);
    expect(store.get("120")).toBeUndefined();
    expect(store.get("150")).toBeUndefined();
    expect(m.hasTombstone("130")).toBe(false);
  });

  it("deletes only keys fenced by this run: staying, unfetched and unknown keys stay", () => {
    const { store, m } = setup({ "50": "s", "120": "x", "150": "y" });
    m.fetch(store, ["120"], 1_000_000);
    // 50 stays on a, 150 leaves but was never fetched, 999 is unknown.
    expect(m.commit(store, ["50", "120", "150", "999"])).toBe(1);
    expect(store.get("50")).toBe("s");
    expect(store.get("120")).toBeUndefined();
    expect(store.get("150")).toBe("y");
  });

  it("is idempotent: committing the same keys again removes nothing", () => {
    const { store, m } = setup({ "150": "y" });
    m.fetch(store, ["150"], 1_000_000);
    expect(m.commit(store, ["150"])).toBe(1);
    store.put("150", "written again"); // e.g. a stale copy; no fence, so no delete
    expect(m.commit(store, ["150"])).toBe(0);
    expect(store.get("150")).toBe("written again");
  });

  it("keeps the key of an expired fence in the store, even when nothing looked at the fence since", () => {
    const { clock, store, m } = setup({ "150": "y" });
    m.fetch(store, ["150"], 1_000_000);
    clock.t += FENCE_LEASE_MS; // lease ran out; no request touched the key in between
    expect(m.commit(store, ["150"])).toBe(0);
    expect(store.get("150")).toBe("y");
  });

  it("keeps the key of an expired fence that a request has already seen lifted", () => {
    const { clock, store, m } = setup({ "150": "y" });
    m.fetch(store, ["150"], 1_000_000);
    clock.t += FENCE_LEASE_MS;
    expect(m.fenced("150")).toBe(false);
    store.put("150", "newer"); // served here once the fence lifted
    expect(m.commit(store, ["150"])).toBe(0);
    expect(store.get("150")).toBe("newer");
  });

  it("keeps the tombstone of an expired fence, so the deletion still moves", () => {
    const { clock, store, m } = setup();
    m.tombstone("150");
    m.fetch(store, ["150"], 1_000_000);
    clock.t += FENCE_LEASE_MS;
    expect(m.commit(store, ["150"])).toBe(0);
    expect(m.hasTombstone("150")).toBe(true);
  });
});

describe("Migration tombstones", () => {
  it("are set by tombstone and cleared by clearTombstone (a PUT replaces a delete)", () => {
    const { store, m } = setup();
    m.tombstone("150");
    expect(m.hasTombstone("150")).toBe(true);
    m.clearTombstone("150");
    expect(m.hasTombstone("150")).toBe(false);
    expect(bare(m.fetch(store, ["150"], 1_000_000).entries)).toStrictEqual([]);
  });
});

describe("Migration.takeOver", () => {
  it("switches the run, lifts every fence and keeps every tombstone", () => {
    const { store, m } = setup({ "120": "x" });
    m.tombstone("150");
    m.fetch(store, ["120", "150"], 1_000_000);
    expect(m.fenced("120")).toBe(true);
    expect(m.fenced("150")).toBe(true);

    m.takeOver("run-2");
    expect(m.run).toBe("run-2");
    expect(m.fenced("120")).toBe(false);
    expect(m.fenced("150")).toBe(false);
    expect(m.hasTombstone("150")).toBe(true);
  });

  it("means the dead run's fetches commit nothing, and the new run fetches the same entries again", () => {
    const { store, m } = setup({ "120": "x" });
    m.tombstone("150");
    m.fetch(store, ["120", "150"], 1_000_000);
    m.takeOver("run-2");
    expect(m.commit(store, ["120", "150"])).toBe(0); // a late commit of the dead run's batch
    expect(store.get("120")).toBe("x");
    expect(bare(m.fetch(store, ["120", "150"], 1_000_000).entries)).toStrictEqual([
      { key: "120", value: "x" },
      { key: "150", deleted: true },
    ]);
  });
});

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
