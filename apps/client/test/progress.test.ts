import { describe, expect, it } from "vitest";
import {
  initialProgress,
  ProgressReporter,
  progressAfter,
  type RunEvent,
} from "../src/rebalance/progress.js";

/** Pure unit tests of the rebalance report: a run replayed event by event, times in ms by hand. */

const id = { run: "run-1", kind: "add", node: "node-4" } as const;

function replay(events: ReadonlyArray<[number, RunEvent]>) {
  let p = initialProgress(id, 0);
  let movingSince: number | undefined;
  for (const [at, event] of events) {
    if (event.phase === "moving") movingSince ??= at;
    p = progressAfter(p, event, at, movingSince);
  }
  return p;
}

describe("rebalance progress reports", () => {
  it("start at the scan with nothing planned or moved", () => {
    expect(initialProgress(id, 5)).toMatchObject({
      ...id,
      version: 1,
      phase: "scanning",
      planned: 0,
      moved: 0,
      rate: 0,
      startedAt: 5,
      updatedAt: 5,
    });
  });

  it("the first report of an add names the wait for its node, not a scan that has not begun", async () => {
    expect(initialProgress(id, 5, "waiting-for-node").phase).toBe("waiting-for-node");
    // The reporter publishes its first report at once (later ones are throttled): it must be right.
    const published: string[] = [];
    const publisher = { publish: (p: { phase: string }) => published.push(p.phase), flush: async () => {} };
    new ProgressReporter(id, publisher as never, undefined, "waiting-for-node");
    expect(published).toEqual(["waiting-for-node"]);
  });

  it("count scanned keys, then planned keys moved, at keys per second since the move began", () => {
    const p = replay([
      [100, { phase: "waiting-for-node", node: "node-4" }],
      [900, { phase: "scanning", done: 600, total: 600 }],
      [1000, { phase: "scanning", done: 1000, total: 1000 }],
      [2000, { phase: "moving", done: 0, total: 300 }], // the move begins at t = 2 s
      [2500, { phase: "moving", done: 100, total: 300 }], // 100 keys in 0.5 s
    ]);
    expect(p).toMatchObject({ phase: "moving", scanned: 1000, planned: 300, moved: 100, rate: 200 });
    expect(p.updatedAt).toBe(2500);
  });

  it("reach the planned total exactly when the last batch is done, and add the sweep to the rate", () => {
    const p = replay([
      [1000, { phase: "moving", done: 0, total: 300 }],
      [2000, { phase: "moving", done: 300, total: 300 }],
      [3000, { phase: "sweeping", done: 100, total: 100 }], // 300 planned + 100 swept in 2 s
    ]);
    expect(p).toMatchObject({ phase: "sweeping", planned: 300, moved: 300, swept: 100, rate: 200 });
  });
});
