import { createPlacement, type Placement } from "@zkv/hashring";
import { ErrorCode, ZkvError } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Migration } from "../src/cluster/migration.js";
import { ClusterView, type Decision } from "../src/cluster/ownership.js";
import { MemoryStore } from "../src/store/index.js";

/**
 * Rings with one virtual node per node and a trivial hash, so owners can be checked by hand:
 * vnode `1:a:0` sits at 100, `1:b:0` at 200, `1:c:0` at 300; a key (a decimal number) hashes to
 * its value and belongs to the first token at or after it, wrapping to the lowest one.
 *
 *   current = ring [a, b]:     0..100 → a,  101..200 → b,  201.. → a
 *   next    = ring [a, b, c]:  0..100 → a,  101..200 → b,  201..300 → c,  301.. → a
 *
 * Adding c moves 201..300 from a to c. Seen from a:
 *   "50"  cur a, next a: stays         "150" cur b: not a's (WRONG_NODE → b)
 *   "250" cur a, next c: leaving       "350" cur a, next a (wraps): stays
 */
const TOKENS: Record<string, number> = { "1:a:0": 100, "1:b:0": 200, "1:c:0": 300 };
const trivialHash = (s: string): number => TOKENS[s] ?? Number(s);
const ring = (nodes: string[]): Placement => createPlacement("ring", nodes, { vnodes: 1, hash: trivialHash });
const current = ring(["a", "b"]);
const next = ring(["a", "b", "c"]);

function expectError(decision: Decision, code: ErrorCode, owner?: string): void {
  expect(decision).toBeInstanceOf(ZkvError);
  const err = decision as ZkvError;
  expect(err.code).toBe(code);
  expect(err.owner).toBe(owner);
}

describe("the hand-pinned placements", () => {
  it("match the table in the comment", () => {
    const keys = ["50", "150", "250", "350"];
    expect(keys.map((k) => current.locate(k))).toEqual(["a", "b", "a", "a"]);
    expect(keys.map((k) => next.locate(k))).toEqual(["a", "b", "c", "a"]);
  });
});

/** Node a, at epoch 3, migrating towards `next`; 250 is held, 260 tombstoned, 270 fetched. */
function migratingA() {
  const view = new ClusterView("a");
  const store = new MemoryStore();
  view.setPlacement(3, current);
  const m = view.beginMigration("run-1", 3, current, next)!;
  store.put("250", "held");
  store.put("270", "being moved");
  m.tombstone("260");
  m.fetch(store, ["270"], 1_000_000);
  return { view, store, m };
}

describe("ClusterView.decide", () => {
  it("answers TRY_AGAIN until Consul has told it the placement (a node starting)", () => {
    const view = new ClusterView("a");
    const store = new MemoryStore();
    for (const key of ["50", "150", "250"]) {
      expect((view.decide(key, undefined, store) as ZkvError).code).toBe(ErrorCode.TRY_AGAIN);
    }
    // Consul answered, and the cluster has no placement (a lone node without cluster_size).
    view.loaded = true;
    for (const key of ["50", "150", "250"]) expect(view.decide(key, undefined, store)).toBe("serve");
  });

  it("without a migration: serves its own keys, held or not, and sends others to their owner", () => {
    const view = new ClusterView("a");
    const store = new MemoryStore();
    view.setPlacement(0, current);
    expect(view.decide("50", undefined, store)).toBe("serve");
    expect(view.decide("250", false, store)).toBe("serve"); // not held, still a's: NOT_FOUND later
    expectError(view.decide("150", undefined, store), ErrorCode.WRONG_NODE, "b");
  });

  // The rules, in order, for node a migrating towards next (see migratingA).
  const rules: ReadonlyArray<{
    rule: string;
    key: string;
    asking?: boolean;
    expected: "serve" | { code: ErrorCode; owner?: string };
  }> = [
    { rule: "asking: serve, even a key of another node", key: "150", asking: true, expected: "serve" },
    { rule: "asking: serve, even a fenced key", key: "270", asking: true, expected: "serve" },
    { rule: "asking: serve, even a moved key", key: "280", asking: true, expected: "serve" },
    { rule: "current owner is b: WRONG_NODE to b", key: "150", expected: { code: "WRONG_NODE", owner: "b" } },
    { rule: "key stays here (not held): serve", key: "50", expected: "serve" },
    { rule: "key stays here (wraps): serve", key: "350", expected: "serve" },
    { rule: "leaving and fenced: TRY_AGAIN", key: "270", expected: { code: "TRY_AGAIN" } },
    { rule: "leaving, value held here: serve", key: "250", expected: "serve" },
    { rule: "leaving, tombstone held here: serve", key: "260", expected: "serve" },
    { rule: "leaving, moved or new: ASK to c", key: "280", expected: { code: "ASK", owner: "c" } },
  ];

  it.each(rules)("$rule (key $key)", ({ key, asking, expected }) => {
    const { view, store } = migratingA();
    const decision = view.decide(key, asking, store);
    if (expected === "serve") expect(decision).toBe("serve");
    else expectError(decision, expected.code, expected.owner);
  });

  it("on the node being added: sends every key to its current owner unless asked", () => {
    const view = new ClusterView("c");
    const store = new MemoryStore();
    view.beginMigration("run-1", 3, current, next);
    expectError(view.decide("250", undefined, store), ErrorCode.WRONG_NODE, "a"); // arriving, not yet
    expectError(view.decide("150", undefined, store), ErrorCode.WRONG_NODE, "b");
    expect(view.decide("250", true, store)).toBe("serve");
  });

  it("once the fenced key is committed, ASKs for it; a stale value put back is served again", () => {
    const { view, store, m } = migratingA();
    m.commit(store, ["270"]);
    expectError(view.decide("270", undefined, store), ErrorCode.ASK, "c");
    store.put("270", "held again");
    expect(view.decide("270", undefined, store)).toBe("serve");
  });
});

describe("ClusterView epochs", () => {
  it("starts with no placement, epoch -1 and no migration", () => {
    const view = new ClusterView("a");
    expect(view.placement).toBeUndefined();
    expect(view.epoch).toBe(-1);
    expect(view.migration).toBeUndefined();
  });

  it("setPlacement adopts newer and equal epochs and ignores older ones", () => {
    const view = new ClusterView("a");
    expect(view.setPlacement(5, current)).toBe(true);
    expect(view.setPlacement(4, next)).toBe(false);
    expect(view.placement).toBe(current);
    expect(view.epoch).toBe(5);
    expect(view.setPlacement(5, next)).toBe(true); // same epoch, no migration: adopted
    expect(view.placement).toBe(next);
    expect(view.setPlacement(6, current)).toBe(true);
    expect(view.epoch).toBe(6);
  });

  it("setPlacement ignores the same epoch while migrating from it, and a newer one ends the migration", () => {
    const view = new ClusterView("a");
    view.setPlacement(5, current);
    view.beginMigration("run-1", 5, current, next);
    expect(view.setPlacement(5, current)).toBe(false); // a late push of the epoch being left
    expect(view.migration).toBeDefined();
    expect(view.setPlacement(4, current)).toBe(false);
    expect(view.migration).toBeDefined();
    expect(view.setPlacement(6, next)).toBe(true); // MIGRATION end
    expect(view.migration).toBeUndefined();
    expect(view.placement).toBe(next);
    expect(view.epoch).toBe(6);
  });

  it("beginMigration with an epoch older than the view's is refused and changes nothing", () => {
    const view = new ClusterView("a");
    view.setPlacement(5, current);
    expect(view.beginMigration("run-1", 4, next, next)).toBeUndefined();
    expect(view.migration).toBeUndefined();
    expect(view.placement).toBe(current);
    expect(view.epoch).toBe(5);
  });

  it("beginMigration on a node that knew no placement adopts the given current one and its epoch", () => {
    const view = new ClusterView("c");
    const m = view.beginMigration("run-1", 3, current, next);
    expect(m).toBeInstanceOf(Migration);
    expect(m?.run).toBe("run-1");
    expect(m?.next).toBe(next);
    expect(m?.self).toBe("c");
    expect(view.migration).toBe(m);
    expect(view.placement).toBe(current);
    expect(view.epoch).toBe(3);
  });

  it("beginMigration at a newer epoch adopts its current placement", () => {
    const view = new ClusterView("a");
    view.setPlacement(2, next);
    view.beginMigration("run-1", 3, current, next);
    expect(view.placement).toBe(current);
    expect(view.epoch).toBe(3);
  });

  it("beginMigration of the same run twice keeps the same Migration and its fences", () => {
    const { view, store, m } = migratingA();
    expect(view.beginMigration("run-1", 3, current, next)).toBe(m);
    expect(m.run).toBe("run-1");
    expect(m.fenced("270")).toBe(true);
    expectError(view.decide("270", undefined, store), ErrorCode.TRY_AGAIN);
  });

  it("beginMigration of a new run takes over: fences lifted, tombstones kept", () => {
    const { view, store, m } = migratingA();
    const resumed = view.beginMigration("run-2", 3, current, next);
    expect(resumed).toBe(m);
    expect(m.run).toBe("run-2");
    expect(m.fenced("270")).toBe(false);
    expect(m.hasTombstone("260")).toBe(true);
    expect(view.decide("270", undefined, store)).toBe("serve"); // held again, no longer fenced
    expect(view.decide("260", undefined, store)).toBe("serve"); // still a pending deletion
  });
});

describe("ClusterView during a change of the replication factor", () => {
  it("writes to the old and new replicas together, reads from those of the setting reads follow", () => {
    const view = new ClusterView("c");
    view.setPlacement(0, next);
    // n = 1 → 2, copying: writes to the first two of each key's list, reads from the first one.
    view.setReplication({ n: 2, w: 2, readN: 1, r: 1, nextN: 2, tag: "run:copying", changing: true });
    expect(view.replicasOf("250")).toEqual(["c", "a"]);
    expect(view.readReplicasOf("250")).toEqual(["c"]);
    expect(view.replicasOf("150")).toEqual(["b", "c"]);
    expect(view.readReplicasOf("150")).toEqual(["b"]);
    // c is a new replica of 150: it takes writes (and coordinates them) already.
    expect(view.decide("150", undefined, new MemoryStore())).toBe("serve");
    expectError(view.decide("50", undefined, new MemoryStore()), ErrorCode.WRONG_NODE, "a");
  });
});

describe("ClusterView during a rebalance", () => {
  it("lists a key's current replicas then the ones it gains, and counts the gained ones for the quorum", () => {
    const view = new ClusterView("a");
    view.setPlacement(3, current);
    view.setReplication({ n: 2, w: 2, readN: 2, r: 2, nextN: 2, tag: "", changing: false });
    expect(view.gainedReplicasOf("250")).toBe(0);
    view.beginMigration("run-1", 3, current, next);
    // 250: a, b now; c, a next: c is gained. 150: b, a now; b, c next: c is gained. 50: a, b both.
    expect(view.replicasOf("250")).toEqual(["a", "b", "c"]);
    expect(view.gainedReplicasOf("250")).toBe(1);
    expect(view.gainedReplicasOf("250", true)).toBe(1);
    expect(view.replicasOf("50")).toEqual(["a", "b"]);
    expect(view.gainedReplicasOf("50")).toBe(0);
    view.setPlacement(4, next);
    expect(view.gainedReplicasOf("250")).toBe(0);
  });
});

describe("ClusterView.decide with replication", () => {
  it("serves exactly the keys whose replicas include this node, for any n (a copy on every member or not)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("a", "b", "c", "d"),
        fc.integer({ min: 2, max: 4 }),
        fc.array(fc.nat({ max: 400 }), { minLength: 1, maxLength: 20 }),
        (self, n, keys) => {
          const view = new ClusterView(self);
          view.setPlacement(0, next);
          view.replicas = n;
          const store = new MemoryStore();
          for (const key of keys.map(String)) {
            const replicas = view.replicasOf(key)!;
            const decision = view.decide(key, undefined, store);
            if (replicas.includes(self)) expect(decision).toBe("serve");
            else expectError(decision, ErrorCode.WRONG_NODE, replicas[0]);
          }
        },
      ),
    );
  });
});
