import type { Reply, VersionedEntry } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { entryOf, PeerBatcher } from "../src/replication/peer-batcher.js";
import type { PeerRequest } from "../src/replication/peer-links.js";

/** A transport that records what each peer was sent, and acknowledges everything. */
function recording() {
  const sent: Array<{ peer: string; request: PeerRequest; body: string | undefined }> = [];
  const transport = {
    request: async (
      peer: string,
      request: PeerRequest,
      _timeoutMs: number,
      body?: string,
    ): Promise<Reply> => {
      sent.push({ peer, request, body });
      return { ok: true };
    },
  };
  return { sent, batcher: new PeerBatcher(transport, 1000) };
}

const copies = (from: number, n: number): VersionedEntry[] =>
  Array.from({ length: n }, (_, i) => entryOf(`k${from + i}`, { value: `v${i}`, version: from + i + 1 }));

describe("PeerBatcher's REPLICATE encoding", () => {
  it("encodes the copies sent to every replica once, and the body is the request itself", async () => {
    const { sent, batcher } = recording();
    const shared = copies(0, 2500); // three messages per peer (1000 copies each at most)
    await Promise.all([batcher.replicateMany("b", shared), batcher.replicateMany("c", shared)]);
    expect(sent).toHaveLength(6);
    for (const { request, body } of sent) {
      expect(JSON.parse(body!)).toEqual(request);
    }
    const toB = sent.filter((s) => s.peer === "b");
    const toC = sent.filter((s) => s.peer === "c");
    expect(toC.map((s) => s.body)).toEqual(toB.map((s) => s.body));
    for (const [i, s] of toB.entries()) expect(toC[i]!.body).toBe(s.body); // the very same encoding
  });

  it("sends each peer its own copies when they differ", async () => {
    const { sent, batcher } = recording();
    await Promise.all([
      batcher.replicateMany("b", copies(0, 3)),
      batcher.replicateMany("c", copies(0, 3)), // equal, not the same objects
      batcher.replicateMany("d", copies(3, 3)),
    ]);
    expect(sent.map((s) => s.peer)).toEqual(["b", "c", "d"]);
    for (const { request, body } of sent) expect(JSON.parse(body!)).toEqual(request);
    expect(sent[2]!.body).not.toEqual(sent[0]!.body);
  });
});
