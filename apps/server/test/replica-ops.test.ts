import { ErrorCode, replicateColumnsOf, type VersionedEntry, ZkvError } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ReplicaContext, replicaOp } from "../src/replication/replica-ops.js";
import { copyOf, type Versioned } from "../src/store/index.js";

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

  it("refuses columns the same way", () => {
    const { ctx, applied } = context(["a"]);
    const columns = replicateColumnsOf([
      { key: "a", value: "1", version: 1 },
      { key: "trimmed", value: "2", version: 1 },
    ]);
    expect(() => replicaOp({ op: "REPLICATE", columns }, ctx)).toThrow(/trimmed/);
    expect(applied).toEqual([]);
  });
});

describe("REPLICATE in columns", () => {
  it("applies exactly the copies the same REPLICATE in rows applies, in order", () => {
    const copy = fc.record(
      {
        key: fc.constantFrom("a", "b", "c"),
        value: fc.string({ maxLength: 3 }),
        version: fc.nat(),
        expiresAt: fc.integer({ min: 1 }),
      },
      { requiredKeys: ["key", "version"] },
    );
    fc.assert(
      fc.property(fc.array(copy, { maxLength: 8 }), (entries: VersionedEntry[]) => {
        const applied: Array<[string, Versioned]> = [];
        const ctx = {
          replicator: { applyCopy: (key: string, c: Versioned) => void applied.push([key, c]) },
          state: () => "serving",
          holds: () => true,
        } as unknown as ReplicaContext;
        replicaOp({ op: "REPLICATE", columns: replicateColumnsOf(entries) }, ctx);
        expect(applied).toEqual(entries.map((e) => [e.key, copyOf(e)]));
      }),
    );
  });
});
