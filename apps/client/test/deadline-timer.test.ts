import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DeadlineTimer } from "../src/lib/cluster/deadline-timer.js";

describe("DeadlineTimer", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Deadlines as a connection keeps them: expire() fails the due ones and returns the next. */
  function pending(...deadlines: number[]) {
    const open = new Set(deadlines.map((d) => 1_000_000 + d));
    const failed: number[] = [];
    const timer = new DeadlineTimer((now) => {
      for (const d of [...open].sort((a, b) => a - b)) {
        if (d <= now) {
          open.delete(d);
          failed.push(d - 1_000_000);
        }
      }
      return Math.min(...open);
    });
    for (const d of open) timer.arm(d);
    return { open, failed, timer };
  }

  it("fails each deadline when it comes, with one timer armed for the earliest", () => {
    const { failed } = pending(300, 30_000, 50);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(49);
    expect(failed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(failed).toEqual([50]);
    vi.advanceTimersByTime(250);
    expect(failed).toEqual([50, 300]);
    vi.advanceTimersByTime(29_700);
    expect(failed).toEqual([50, 300, 30_000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("fires once for nothing when what it was armed for was answered, and keeps the rest", () => {
    const { open, failed } = pending(100, 500);
    open.delete(1_000_100); // answered in time
    vi.advanceTimersByTime(100);
    expect(failed).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(failed).toEqual([500]);
  });

  it("clear() leaves nothing armed", () => {
    const { timer, failed } = pending(10);
    timer.clear();
    vi.advanceTimersByTime(1000);
    expect(failed).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
