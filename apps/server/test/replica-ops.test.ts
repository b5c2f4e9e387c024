import { ErrorCode, ZkvError } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { type ReplicaContext, replicaOp } from "../src/replication/replica-ops.js";

/** A replica context whose node replicates only `mine`, recording the copies it applies. */
function context(mine: readonly string[]) {
  const applied: string[] = [];
  const ctx = {
    replicator: { applyCopy: (key: string) => void applied.push(key) },
    state: () => "serving",
    holds: (key: string) => mine.includes(key),
  } as unknown as ReplicaContext;
  return { ctx, applied };
}

describe("REPLICATE on a node that is not the key's replica", () => {
  it("applies copies of keys the node replicates", () => {
    const { ctx, applied } = context(["a", "b"]);
    const entries = [
      { key: "a", value: "1", version: 1 },
      { key: "b", value: "2", version: 1 },
    ];
    expect(replicaOp({ op: "REPLICATE", entries }, ctx)).toEqual({ ok: true });
    expect(applied).toEqual(["a", "b"]);
  });

  it("refuses the whole batch (WRONG_NODE) when one key is not its own, and stores nothing", () => {
    // A coordinator still on the placement before a trim: the copy would stay here for good.
    const { ctx, applied } = context(["a"]);
    const entries = [
      { key: "a", value: "1", version: 1 },
      { key: "trimmed", value: "2", version: 1 },
    ];
    let err: unknown;
    try {
      replicaOp({ op: "REPLICATE", entries }, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ZkvError);
    expect((err as ZkvError).code).toBe(ErrorCode.WRONG_NODE);
    expect(applied).toEqual([]);
  });
});
