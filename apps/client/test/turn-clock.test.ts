import { afterEach, describe, expect, it, vi } from "vitest";
import { turnNow } from "../src/lib/cluster/turn-clock.js";

/** Unit tests: the clock operation deadlines are set with, against a mocked Date.now. */

afterEach(() => {
  vi.restoreAllMocks();
});

/** Lets the clock's pending process.nextTick run, so the next read starts a new run. */
const nextRun = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("turnNow", () => {
  it("reads the clock once for the reads of one run of jobs", async () => {
    await nextRun();
    let clock = 1_000;
    const now = vi.spyOn(Date, "now").mockImplementation(() => clock);
    const first = turnNow();
    clock += 5;
    expect(turnNow()).toBe(first);
    expect(first).toBe(1_000);
    expect(now).toHaveBeenCalledTimes(1);
  });

  it("reads it again in the next run: a deadline is never older than the run that set it", async () => {
    await nextRun();
    let clock = 2_000;
    vi.spyOn(Date, "now").mockImplementation(() => clock);
    expect(turnNow()).toBe(2_000);
    clock = 7_000;
    await nextRun();
    expect(turnNow()).toBe(7_000);
  });

  it("reads it again after 64 reads, however long the run", async () => {
    await nextRun();
    let clock = 3_000;
    const now = vi.spyOn(Date, "now").mockImplementation(() => clock++);
    const seen = Array.from({ length: 129 }, () => turnNow());
    expect(new Set(seen)).toEqual(new Set([3_000, 3_001, 3_002]));
    expect(seen.filter((t) => t === 3_000)).toHaveLength(64);
    expect(now).toHaveBeenCalledTimes(3);
  });
});
