import { describe, expect, it } from "vitest";
import {
  decodeReply,
  decodeRequest,
  ErrorCode,
  errorFromReply,
  toErrorReply,
  ZkvError,
} from "../src/index.js";

const decode = (value: unknown) => decodeRequest(Buffer.from(JSON.stringify(value)));

describe("rebalancing ops", () => {
  const placement = { hashing: "ring", members: [{ id: "node-0", weight: 1 }] };

  it("decodes MIGRATION, MIGRATE_FETCH, MIGRATE_COMMIT and IMPORT", () => {
    expect(decode({ op: "MIGRATION", phase: "begin", run: "r1", epoch: 0, placement })).toMatchObject({
      ok: true,
    });
    expect(decode({ op: "MIGRATE_FETCH", run: "r1", keys: ["a", "b"] })).toMatchObject({ ok: true });
    expect(decode({ op: "MIGRATE_FETCH", run: "r1", sweep: true, limit: 10 })).toMatchObject({ ok: true });
    expect(decode({ op: "MIGRATE_COMMIT", run: "r1", keys: [] })).toMatchObject({ ok: true });
    const imported = decode({
      op: "IMPORT",
      run: "r1",
      entries: [
        { key: "a", value: "1" },
        { key: "b", deleted: true },
      ],
    });
    expect(imported).toMatchObject({ ok: true });
  });

  it("refuses a MIGRATION without members or with a bad weight", () => {
    const empty = decode({
      op: "MIGRATION",
      phase: "end",
      run: "r",
      placement: { hashing: "ring", members: [] },
    });
    expect(empty).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_REQUEST } });
    const bad = decode({
      op: "MIGRATION",
      phase: "end",
      run: "r",
      placement: { hashing: "ring", members: [{ id: "x", weight: 0 }] },
    });
    expect(bad).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_REQUEST } });
  });

  it("decodes REPLICA_HANDOFF for a rebalance (run) or for a bootstrapping node (to), never both or neither", () => {
    expect(decode({ op: "REPLICA_HANDOFF", run: "r1", limit: 10 })).toMatchObject({ ok: true });
    expect(decode({ op: "REPLICA_HANDOFF", to: "node-2", after: "k" })).toMatchObject({ ok: true });
    for (const bad of [{}, { run: "r1", to: "node-2" }]) {
      expect(decode({ op: "REPLICA_HANDOFF", ...bad })).toMatchObject({
        ok: false,
        error: { code: ErrorCode.INVALID_REQUEST, field: "run" },
      });
    }
  });

  it("keeps a replica's bootstrapping flag on REPLICATE and REPLICA_GET replies", () => {
    expect(decodeReply(Buffer.from('{"ok":true,"bootstrapping":true}'), "REPLICATE")).toEqual({
      ok: true,
      bootstrapping: true,
    });
    const get = decodeReply(Buffer.from('{"entries":[{"key":"a"}],"bootstrapping":true}'), "REPLICA_GET");
    expect(get).toEqual({ entries: [{ key: "a" }], bootstrapping: true });
  });

  it("accepts the asking flag on key ops and keeps it", () => {
    const result = decode({ op: "PUT", key: "k", value: "v", asking: true });
    expect(result.ok && result.request).toEqual({ op: "PUT", key: "k", value: "v", asking: true });
  });

  it("carries WRONG_NODE's owner across the wire", () => {
    const reply = toErrorReply(new ZkvError(ErrorCode.WRONG_NODE, "ask node-4", { owner: "node-4" }), 9);
    const decoded = decodeReply(Buffer.from(JSON.stringify(reply)));
    expect(decoded).toEqual({ error: { code: "WRONG_NODE", message: "ask node-4", owner: "node-4" }, id: 9 });
    const err = errorFromReply(decoded as never);
    expect([err.code, err.owner]).toEqual([ErrorCode.WRONG_NODE, "node-4"]);
  });

  it("types a MIGRATE_FETCH reply with tombstones", () => {
    const reply = decodeReply(
      Buffer.from('{"entries":[{"key":"a","value":"1"},{"key":"b","deleted":true}],"fetched":2}'),
      "MIGRATE_FETCH",
    );
    expect(reply).toEqual({
      entries: [
        { key: "a", value: "1" },
        { key: "b", deleted: true },
      ],
      fetched: 2,
    });
  });
});
