import { afterEach, describe, expect, it, vi } from "vitest";
import { withRetries } from "../src/lib/retry/with-retries.js";

afterEach(() => vi.useRealTimers());

/** A call that fails until `downMs` have passed (a replica paused or cut off), then answers. */
function downFor(downMs: number) {
  const until = Date.now() + downMs;
  let calls = 0;
  const call = async () => {
    calls++;
    if (Date.now() < until) throw new Error("peer node-2 unavailable: not connected");
    return "handed off";
  };
  return { call, calls: () => calls };
}

describe("withRetries: an admin call while a node is briefly unreachable", () => {
  const patience = { patienceMs: 30_000 };
  it("rides out a replica down for 6 s (a container pause or network disconnect) and succeeds", async () => {
    vi.useFakeTimers();
    const peer = downFor(6000);
    const result = withRetries(peer.call, patience);
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(result).resolves.toBe("handed off");
    expect(peer.calls()).toBeGreaterThan(1);
  });

  it("gives up with the call's own error once its patience is spent, so the run can exit and be re-run", async () => {
    vi.useFakeTimers();
    const peer = downFor(10 * 60_000);
    const result = withRetries(peer.call, patience);
    const settled = expect(result).rejects.toThrow("not connected");
    await vi.advanceTimersByTimeAsync(60_000);
    await settled;
  });

  it("retries only the errors it is told to, and says once why it waits", async () => {
    vi.useFakeTimers();
    const told: unknown[] = [];
    let calls = 0;
    const bootingThenBroken = async () => {
      calls++;
      throw new Error(calls < 3 ? "node is bootstrapping" : "disk full");
    };
    const result = withRetries(bootingThenBroken, {
      patienceMs: 60_000,
      retryIf: (err) => (err as Error).message.includes("bootstrapping"),
      onFirstRetry: (err) => told.push((err as Error).message),
    });
    const settled = expect(result).rejects.toThrow("disk full");
    await vi.advanceTimersByTimeAsync(5_000);
    await settled;
    expect(calls).toBe(3);
    expect(told).toEqual(["node is bootstrapping"]);
  });
});
