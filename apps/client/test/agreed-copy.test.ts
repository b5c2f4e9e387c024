import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agreedCopy } from "../src/backup/agreed-copy.js";
import type { NodeCopy } from "../src/lib/requests/scan.js";

const NODES = ["node-0", "node-1", "node-2", "node-3", "node-4"];

/**
 * Some nodes' copies of one key: each node at most once, a version (or none: a node that predates
 * versioned listings). A version is one write, so it fixes the value and the expiry (version 2
 * expires, the others not).
 */
const copiesArb: fc.Arbitrary<NodeCopy[]> = fc.subarray(NODES).chain((nodes) =>
  fc
    .tuple(...nodes.map(() => fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined })))
    .map((versions) =>
      nodes.map((node, i) => {
        const version = versions[i];
        if (version === undefined) return { key: "k", node, value: "unversioned" };
        return {
          key: "k",
          node,
          value: `v${version}`,
          version,
          ...(version === 2 ? { expiresAt: 5_000 } : {}),
        };
      }),
    ),
);

const replicasArb = fc.shuffledSubarray(NODES, { minLength: 1, maxLength: 3 });

describe("agreedCopy: when an export may skip the quorum read", () => {
  it("gives a copy only when every replica listed the key at one version, and then that copy (property)", () => {
    fc.assert(
      fc.property(copiesArb, replicasArb, (copies, replicas) => {
        const ofReplicas = replicas.map((r) => copies.find((c) => c.node === r));
        const versions = new Set(ofReplicas.map((c) => c?.version));
        const agreed = ofReplicas.every((c) => c?.version !== undefined) && versions.size === 1;
        const result = agreedCopy(copies, replicas);
        if (!agreed) {
          expect(result).toBeUndefined();
          return;
        }
        const copy = ofReplicas[0]!;
        expect(result).toStrictEqual({
          value: copy.value,
          version: copy.version,
          ...(copy.expiresAt === undefined ? {} : { expiresAt: copy.expiresAt }),
        });
      }),
    );
  });

  it("never hands back a copy older than one a replica holds: a newer write or deletion forces a quorum read", () => {
    fc.assert(
      fc.property(copiesArb, replicasArb, (copies, replicas) => {
        const result = agreedCopy(copies, replicas);
        if (result === undefined) return;
        for (const r of replicas) expect(copies.find((c) => c.node === r)?.version).toBe(result.version);
      }),
    );
  });
});
