import { describe, expect, it } from "vitest";
import { AE_TREE_LEAVES, decodeReply, decodeRequest, ErrorCode } from "../src/index.js";

const decode = (value: unknown) => decodeRequest(Buffer.from(JSON.stringify(value)));
const replicas = ["node-0", "node-1", "node-2"];

describe("anti-entropy ops", () => {
  it("decodes AE_ROOTS, AE_HASHES, AE_KEYS and REPAIR", () => {
    expect(decode({ op: "AE_ROOTS", epoch: 3, peer: "node-1" })).toMatchObject({ ok: true });
    expect(
      decode({ op: "AE_HASHES", epoch: 3, ranges: [{ replicas, level: 3, nodes: [0, AE_TREE_LEAVES - 1] }] }),
    ).toMatchObject({ ok: true });
    expect(decode({ op: "AE_KEYS", epoch: 0, ranges: [{ replicas, leaves: [5] }] })).toMatchObject({
      ok: true,
    });
    expect(decode({ op: "REPAIR", peer: "node-2", id: 7 })).toMatchObject({ ok: true });
  });

  it("refuses node indices outside their level, with the field named", () => {
    for (const bad of [
      { level: 1, nodes: [32] }, // level 1 has 32 nodes
      { level: 2, nodes: [AE_TREE_LEAVES] },
      { level: 2, nodes: [1024] }, // level 2 has 32² nodes
      { level: 4, nodes: [0] }, // below the leaves
      { level: 0, nodes: [0] }, // roots come from AE_ROOTS
      { level: 1, nodes: [] },
      { level: 1, nodes: [-1] },
    ]) {
      expect(decode({ op: "AE_HASHES", epoch: 0, ranges: [{ replicas, ...bad }] })).toMatchObject({
        ok: false,
        error: { code: ErrorCode.INVALID_REQUEST, field: "ranges" },
      });
    }
    expect(
      decode({ op: "AE_KEYS", epoch: 0, ranges: [{ replicas, leaves: [AE_TREE_LEAVES] }] }),
    ).toMatchObject({
      ok: false,
      error: { code: ErrorCode.INVALID_REQUEST, field: "ranges" },
    });
  });

  it("refuses a missing or malformed epoch, peer or range", () => {
    const refused = (value: unknown, field: string) =>
      expect(decode(value)).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_REQUEST, field } });
    refused({ op: "AE_ROOTS", peer: "node-1" }, "epoch");
    refused({ op: "AE_ROOTS", epoch: -1, peer: "node-1" }, "epoch");
    refused({ op: "AE_ROOTS", epoch: 1.5, peer: "node-1" }, "epoch");
    refused({ op: "AE_ROOTS", epoch: 1, peer: "" }, "peer");
    refused({ op: "REPAIR" }, "peer");
    refused({ op: "AE_KEYS", epoch: 1, ranges: [] }, "ranges");
    refused({ op: "AE_KEYS", epoch: 1, ranges: [{ replicas: [], leaves: [1] }] }, "ranges");
  });

  it("checks replies against their op's shape", () => {
    const roots = { ranges: [{ replicas, root: ["00000000000000ff", 3] }] };
    expect(decodeReply(Buffer.from(JSON.stringify(roots)), "AE_ROOTS")).toEqual(roots);
    const badHash = { ranges: [{ replicas, root: ["XYZ", 3] }] };
    expect(() => decodeReply(Buffer.from(JSON.stringify(badHash)), "AE_ROOTS")).toThrow();
    const repair = { node: "node-0", peer: "node-1", ranges: 2, different: 5, repaired: 5, bytes: 900 };
    expect(decodeReply(Buffer.from(JSON.stringify(repair)), "REPAIR")).toEqual(repair);
    const keys = { ranges: [{ leaves: [3], entries: [["k", 17]] }] };
    expect(decodeReply(Buffer.from(JSON.stringify(keys)), "AE_KEYS")).toEqual(keys);
  });
});
