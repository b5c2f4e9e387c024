import { ErrorCode } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Versioned } from "../src/store/versions.js";
import { FakeCluster } from "./support/fake-cluster.js";

const IDS = ["a", "b", "c"];

/** One step of a history: a write or read at a node, or a fault, or a bootstrap finishing. */
const step = fc.oneof(
  fc.record({ t: fc.constant("write" as const), by: fc.constantFrom(...IDS) }),
  fc.record({ t: fc.constant("read" as const), by: fc.constantFrom(...IDS) }),
  fc.record({ t: fc.constant("wipe" as const), id: fc.constantFrom(...IDS) }),
  fc.record({ t: fc.constant("down" as const), id: fc.constantFrom(...IDS) }),
  fc.record({ t: fc.constant("up" as const) }),
  fc.record({ t: fc.constant("finish" as const) }),
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** A refusal a read or write may meet during faults: never a wrong answer. */
const REFUSALS: string[] = [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.QUORUM_TIMEOUT];

/**
 * Histories of one key on n=3, w=2, r=2 within the faults that quorum tolerates: one node down
 * at a time, and one restarted empty at a time (it bootstraps until it has pulled from every
 * other replica, as a real one does while they are up). A bootstrapping replica's acks count
 * toward w (planWrite), so this checks what that must not break: a read never answers older
 * than the last acknowledged write, or NOT_FOUND after one; once every node is up and has
 * bootstrapped, every node reads it.
 */
describe("a key's history with replicas restarting empty (property)", () => {
  it("never reads older than the last acknowledged write, and every node reads it at the end", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        let ms = 0; // time passes between operations, as one wall clock for the three nodes
        const cluster = new FakeCluster(IDS, { n: 3, w: 2, r: 2 }, 3, () => ++ms);
        let attempted = 0; // values are 1, 2, …: a read of value v saw the v-th write attempted
        let acked = 0; // the last acknowledged write's value
        const check = (read: Versioned | undefined) => {
          const seen = read === undefined ? 0 : Number(read.value);
          expect(seen, "a read answered older than the last acknowledged write").toBeGreaterThanOrEqual(
            acked,
          );
          expect(seen).toBeLessThanOrEqual(attempted);
        };
        const finish = () => {
          for (const id of cluster.bootstrapping) {
            for (const [other, store] of cluster.stores) {
              if (other === id) continue;
              for (const [key, copy] of store) cluster.get(id).applyCopy(key, copy);
            }
            cluster.bootstrapping.delete(id);
            cluster.announced.delete(id);
          }
        };
        try {
          for (const s of steps as Step[]) {
            if (s.t === "write") {
              const value = ++attempted;
              const ok = await cluster
                .get(s.by)
                .write("k", String(value))
                .then(() => true)
                .catch((e: { code?: string }) => {
                  expect(REFUSALS).toContain(e.code);
                  return false;
                });
              if (ok) acked = value;
            } else if (s.t === "read") {
              const read = await cluster
                .get(s.by)
                .read("k")
                .catch((e: { code?: string }) => {
                  expect(REFUSALS).toContain(e.code);
                  return "refused" as const;
                });
              if (read !== "refused") check(read);
            } else if (s.t === "wipe" && cluster.bootstrapping.size === 0) {
              cluster.stores.get(s.id)!.clear();
              cluster.down.delete(s.id);
              cluster.bootstrapping.add(s.id);
              cluster.announced.add(s.id);
            } else if (s.t === "down" && cluster.down.size === 0) {
              cluster.down.add(s.id);
            } else if (s.t === "up") {
              cluster.down.clear();
            } else if (s.t === "finish" && cluster.down.size === 0) {
              finish(); // a real node waits for its sources while they are down
            }
          }
          cluster.down.clear();
          finish();
          for (const id of IDS) check(await cluster.get(id).read("k"));
        } finally {
          cluster.close();
        }
      }),
      { numRuns: 2000 },
    );
  });
});
