import { createPlacement } from "@zkv/hashring";
import { ErrorCode, type ReplicaHandoffReply } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { ClusterView } from "../src/cluster/ownership.js";
import { handoff } from "../src/replication/handoff.js";
import type { Replicator } from "../src/replication/replicator.js";
import { MemoryStore } from "../src/store/index.js";
import type { Versioned } from "../src/store/versions.js";

describe("REPLICA_HANDOFF to a bootstrapping node", () => {
  it("sends it each held key whose replicas include it, tombstones in the last page", async () => {
    const placement = createPlacement("ring", ["a", "b", "c", "d"]);
    const cluster = new ClusterView("a");
    cluster.replicas = 3;
    cluster.setPlacement(1, placement);
    const store = new MemoryStore();
    const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, "0")}`);
    for (const k of keys) store.put(k, `v-${k}`);
    let gone = "t0";
    for (let i = 1; !placement.preferenceList(gone, 3).includes("d"); i++) gone = `t${i}`;
    store.apply(gone, { value: undefined, version: 1 });
    const pushed = new Map<string, Versioned>();
    const replicator = {
      push: async (to: string, key: string, copy: Versioned) => {
        expect(to).toBe("d");
        pushed.set(key, copy);
      },
    } as unknown as Replicator;
    const ctx = { nodeId: "a", store, cluster, replicator };
    let after: string | undefined;
    do {
      const reply = (await handoff(
        { op: "REPLICA_HANDOFF", to: "d", limit: 15, after },
        ctx,
      )) as ReplicaHandoffReply;
      after = reply.after;
    } while (after !== undefined);
    const wanted = [...keys, gone].filter((k) => placement.preferenceList(k, 3).includes("d"));
    expect([...pushed.keys()].sort()).toEqual(wanted.sort());
    expect(wanted.length).toBeLessThan(keys.length); // not everything: only d's keys
    expect(pushed.get(gone)).toEqual({ value: undefined, version: 1 });
    await expect(handoff({ op: "REPLICA_HANDOFF", to: "a" }, ctx)).rejects.toMatchObject({
      code: ErrorCode.INVALID_REQUEST,
    });
  });
});
