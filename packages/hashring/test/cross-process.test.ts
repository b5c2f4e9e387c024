import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConsistentHashRing, RendezvousHash } from "../src/index.js";
import { seededKeys } from "./support.js";

/**
 * Two processes must agree on every owner: a client and a server never share memory, only the
 * node list. A separate `node` (through tsx) computes owners for the same keys from the nodes in
 * reverse order; this process compares them with its own.
 */

const child = fileURLToPath(new URL("./fixtures/locate-child.ts", import.meta.url));
const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("cross-process determinism", () => {
  it("a child process places every key where this one does", () => {
    const nodes = Array.from({ length: 12 }, (_, i) => `10.0.0.${i + 1}:7420`);
    const keys = [...seededKeys(5000, 7), "", "clé", "键:😀", "\uD800lone"];
    const output = execFileSync(process.execPath, ["--import", "tsx", child], {
      cwd: packageDir,
      input: JSON.stringify({ nodes, keys }),
      encoding: "utf8",
      timeout: 15_000,
    });
    const theirs = JSON.parse(output) as { ring: string[]; hrw: string[] };
    const ring = new ConsistentHashRing(nodes);
    const hrw = new RendezvousHash(nodes);
    expect(theirs.ring).toEqual(keys.map((k) => ring.locate(k)));
    expect(theirs.hrw).toEqual(keys.map((k) => hrw.locate(k)));
  });
});
