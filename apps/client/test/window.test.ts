import { describe, expect, it } from "vitest";
import { Window } from "../src/lib/requests/window.js";

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Checks that `waiting` (a promise of the window's) is held until `slots` are released, and no longer. */
async function heldUntilRelease(window: Window, slots: number, waiting: Promise<void>): Promise<void> {
  let done = false;
  void waiting.then(() => {
    done = true;
  });
  await settle();
  expect(done).toBe(false);
  window.release(slots);
  await settle();
  expect(done).toBe(true);
}

describe("the bulk engines' window", () => {
  it("holds a task taking several slots until they are free, and counts each release", async () => {
    const window = new Window(4);
    await window.acquire(3);
    await heldUntilRelease(window, 3, window.acquire(2)); // 3 + 2 > 4
    await heldUntilRelease(window, 2, window.drain());
  });

  it("lets a task larger than the whole window go alone, never with another", async () => {
    const window = new Window(4);
    await window.acquire(10); // an empty window takes it
    await heldUntilRelease(window, 10, window.acquire());
  });
});
