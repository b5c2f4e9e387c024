import { describe, expect, it } from "vitest";
import { pullFromSources } from "../src/replication/bootstrap.js";

describe("pulling a bootstrapping node's copies", () => {
  it("pulls every source page by page, resuming a failed page where it stopped", async () => {
    const asked: string[] = [];
    let failOnce = true;
    const report = await pullFromSources({
      sources: ["b", "c"],
      isUp: () => true,
      pull: async (source, after) => {
        asked.push(`${source}:${after ?? ""}`);
        if (source === "b" && after === "k1" && failOnce) {
          failOnce = false;
          throw new Error("peer restarting");
        }
        if (after === undefined) return { after: "k1", pushed: 2 };
        return { pushed: 1 };
      },
      giveUpMs: 1000,
      retryMs: 1,
    });
    expect(Object.fromEntries(report.copied)).toEqual({ b: 3, c: 3 });
    expect(report.skipped).toEqual([]);
    expect(asked.filter((a) => a === "b:k1")).toHaveLength(2);
  });

  it("gives up on a source that stays down, and serves with what the others had", async () => {
    const report = await pullFromSources({
      sources: ["b", "c"],
      isUp: (p) => p === "c",
      pull: async () => ({ pushed: 5 }),
      giveUpMs: 30,
      retryMs: 5,
    });
    expect(Object.fromEntries(report.copied)).toEqual({ c: 5 });
    expect(report.skipped).toEqual(["b"]);
  });

  it("stops waiting for a source that left the cluster: its keys went to the members that stay", async () => {
    // A node restarted empty while node b was being removed: b is down for good, and waiting
    // the whole give-up time for it kept the node bootstrapping (its answers uncounted) for 15 s.
    let removed = false;
    const done = pullFromSources({
      sources: ["b", "c"],
      isUp: (p) => p === "c",
      isSource: (p) => p !== "b" || !removed,
      pull: async () => ({ pushed: 5 }),
      giveUpMs: 60_000,
      retryMs: 5,
    });
    setTimeout(() => {
      removed = true;
    }, 20);
    const report = await done;
    expect(Object.fromEntries(report.copied)).toEqual({ c: 5 });
    expect(report.skipped).toEqual([]);
    expect(report.departed).toEqual(["b"]);
  });

  it("has nothing to do without sources (n = 1, or a lone node)", async () => {
    const report = await pullFromSources({
      sources: [],
      isUp: () => false,
      pull: () => Promise.reject(new Error("never called")),
      giveUpMs: 60_000,
      retryMs: 60_000,
    });
    expect(report).toEqual({ copied: new Map(), skipped: [], departed: [] });
  });
});
