import { type DesiredNode, initialPlacement, type PlacementRecord, type Transition } from "@zkv/membership";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type MembershipChange,
  nextMembers,
  nextNodeId,
  RebalanceError,
  sameChange,
} from "../src/rebalance/plan.js";

/** Pure unit tests: no cluster, no processes. */

function node(id: string, port: number, host = "127.0.0.1", weight = 1): DesiredNode {
  return { id, weight, host, port };
}

function record(members: DesiredNode[], transition?: Transition): PlacementRecord {
  return { version: 1, epoch: 3, members, ...(transition ? { transition } : {}) };
}

function transition(kind: "add" | "remove", nodeId: string): Transition {
  return {
    kind,
    node: nodeId,
    run: "run-1",
    next: [node("node-0", 2000)],
    startedAt: "2024-01-01T00:00:00Z",
  };
}

/** Runs `fn`, which must throw a RebalanceError, and returns it. */
function refusal(fn: () => unknown): RebalanceError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RebalanceError);
    return err as RebalanceError;
  }
  throw new Error("expected a RebalanceError");
}

// node-0..node-2 on 127.0.0.1:2000..2002
const three = initialPlacement(3);

describe("nextMembers: remove", () => {
  it("drops the node and keeps the others in order", () => {
    const { node: removed, next } = nextMembers(three, { kind: "remove", id: "node-1" });
    expect(removed).toBe("node-1");
    expect(next).toStrictEqual([three.members[0], three.members[2]]);
    expect(three.members).toHaveLength(3); // the record is not modified
  });

  it("refuses a node that is not a member with UNKNOWN_NODE", () => {
    const err = refusal(() => nextMembers(three, { kind: "remove", id: "node-9" }));
    expect(err.code).toBe("UNKNOWN_NODE");
    expect(err.name).toBe("RebalanceError");
  });

  it("refuses the last node with LAST_NODE", () => {
    const one = initialPlacement(1);
    expect(refusal(() => nextMembers(one, { kind: "remove", id: "node-0" })).code).toBe("LAST_NODE");
  });

  it("refuses, with TOO_FEW_NODES, a removal that leaves fewer members than copies of each key", () => {
    const four = initialPlacement(4);
    expect(nextMembers(four, { kind: "remove", id: "node-3" }, 3).next).toHaveLength(3);
    const err = refusal(() => nextMembers(three, { kind: "remove", id: "node-2" }, 3));
    expect(err.code).toBe("TOO_FEW_NODES");
    expect(err.message).toContain("would leave 2 members for 3 copies");
  });

  it("holds members >= replicas for every removal it allows (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 5 }),
        fc.nat(8),
        (size, n, pick) => {
          const placed = initialPlacement(size);
          const id = placed.members[pick % size]!.id;
          try {
            const { next } = nextMembers(placed, { kind: "remove", id }, n);
            return next.length >= n && next.length === size - 1;
          } catch (err) {
            return err instanceof RebalanceError && (size === 1 || size - 1 < n);
          }
        },
      ),
    );
  });

  it("reports an unknown node as UNKNOWN_NODE even in a one-node cluster", () => {
    const one = initialPlacement(1);
    expect(refusal(() => nextMembers(one, { kind: "remove", id: "node-1" })).code).toBe("UNKNOWN_NODE");
  });
});

describe("nextNodeId", () => {
  it("does not hand out the id of a node that was just removed", () => {
    const afterRemove: PlacementRecord = {
      ...initialPlacement(3),
      completed: { kind: "remove", node: "node-3", run: "r" },
    };
    expect(nextNodeId(afterRemove)).toBe("node-4");
  });
});

describe("nextMembers: add", () => {
  it("appends the new node after the existing members, unchanged", () => {
    const { node: added, next } = nextMembers(three, { kind: "add" });
    expect(added).toBe("node-3");
    expect(next.slice(0, 3)).toStrictEqual(three.members);
    expect(next[3]).toStrictEqual(node("node-3", 2003));
  });

  it("refuses an id that is already a member with DUPLICATE_NODE", () => {
    expect(refusal(() => nextMembers(three, { kind: "add", id: "node-2" })).code).toBe("DUPLICATE_NODE");
  });

  it("uses the given id", () => {
    const { node: added, next } = nextMembers(three, { kind: "add", id: "cache-a" });
    expect(added).toBe("cache-a");
    expect(next.at(-1)?.id).toBe("cache-a");
  });

  it("defaults the id to one past the highest node-<n>, numerically, ignoring other ids", () => {
    // Highest number is 10 (not 9: numbers compare as numbers); "cache" and "node-x" have none.
    const r = record([
      node("node-9", 2000),
      node("cache", 2001),
      node("node-10", 2002),
      node("node-x", 2003),
    ]);
    expect(nextNodeId(r)).toBe("node-11");
    expect(nextMembers(r, { kind: "add" }).node).toBe("node-11");
  });

  it("defaults the id to one past the highest even when lower numbers are free", () => {
    expect(nextNodeId(record([node("node-0", 2000), node("node-4", 2001)]))).toBe("node-5");
  });

  it("defaults the id to node-0 when no member has a node-<n> id", () => {
    expect(nextNodeId(record([node("alpha", 2000), node("beta", 2001)]))).toBe("node-0");
  });

  it("defaults the port to one past the highest port in use, which no member uses", () => {
    // Ports 2000, 2007, 2002 (not in order): the highest is 2007, so 2008.
    const r = record([node("node-0", 2000), node("node-1", 2007), node("node-2", 2002)]);
    const added = nextMembers(r, { kind: "add" }).next.at(-1)!;
    expect(added.port).toBe(2008);
    expect(r.members.map((m) => m.port)).not.toContain(added.port);
  });

  it("skips used ports: the default is never a member's port, whatever the layout", () => {
    const layouts = [[2000], [2000, 2001, 2002], [2002, 2001, 2000], [5000, 2001], [2001, 2001, 2003]];
    for (const ports of layouts) {
      const r = record(ports.map((port, i) => node(`node-${i}`, port)));
      const { port } = nextMembers(r, { kind: "add" }).next.at(-1)!;
      expect(ports, `layout ${ports.join(",")}`).not.toContain(port);
      expect(port, `layout ${ports.join(",")}`).toBe(Math.max(...ports) + 1);
    }
  });

  it("uses the given port as is", () => {
    expect(nextMembers(three, { kind: "add", port: 7000 }).next.at(-1)?.port).toBe(7000);
  });

  it("carries the given weight and host", () => {
    const added = nextMembers(three, { kind: "add", weight: 2.5, host: "10.0.0.9" }).next.at(-1);
    expect(added).toStrictEqual({ id: "node-3", weight: 2.5, host: "10.0.0.9", port: 2003 });
  });

  it("defaults the weight to 1 and the host to the last member's host", () => {
    const r = record([node("node-0", 2000, "10.0.0.1", 3), node("node-1", 2001, "10.0.0.2", 2)]);
    const added = nextMembers(r, { kind: "add" }).next.at(-1);
    expect(added).toStrictEqual({ id: "node-2", weight: 1, host: "10.0.0.2", port: 2002 });
  });
});

describe("sameChange", () => {
  const cases: ReadonlyArray<{
    name: string;
    transition?: Transition;
    change: MembershipChange;
    same: boolean;
  }> = [
    { name: "no transition in progress", change: { kind: "add" }, same: false },
    {
      name: "remove of the same node",
      transition: transition("remove", "node-2"),
      change: { kind: "remove", id: "node-2" },
      same: true,
    },
    {
      name: "remove of another node",
      transition: transition("remove", "node-2"),
      change: { kind: "remove", id: "node-1" },
      same: false,
    },
    {
      name: "add while a remove runs",
      transition: transition("remove", "node-2"),
      change: { kind: "add", id: "node-2" },
      same: false,
    },
    {
      name: "add of the same node",
      transition: transition("add", "node-3"),
      change: { kind: "add", id: "node-3" },
      same: true,
    },
    {
      name: "add of another node",
      transition: transition("add", "node-3"),
      change: { kind: "add", id: "node-4" },
      same: false,
    },
    {
      name: "add without an id resumes any add",
      transition: transition("add", "node-3"),
      change: { kind: "add" },
      same: true,
    },
    {
      name: "remove while an add runs",
      transition: transition("add", "node-3"),
      change: { kind: "remove", id: "node-3" },
      same: false,
    },
  ];

  it.each(cases)("$name → $same", ({ transition: t, change, same }) => {
    expect(sameChange(record(three.members, t), change)).toBe(same);
  });
});
