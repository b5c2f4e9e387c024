import { describe, expect, it } from "vitest";
import { FENCE_LEASE_MS } from "../src/cluster/migration.js";
import { bare, setup } from "./support/migration-setup.js";

// A Migration on node a moving towards support/pinned-ring.ts's `next` (keys 101..200 leave a):
// what a commit deletes, tombstones, and a new run taking over.

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
