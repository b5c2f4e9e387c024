import { describe, expect, it } from "vitest";
import { Window } from "../src/lib/requests/window.js";

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("the bulk engines' window", () => {
  it("holds a task taking several slots until they are free, and counts each release", async () => {
    const window = new Window(4);
    await window.acquire(3);
    let second = false;
    void window.acquire(2).then(() => {
      second = true;
    });
    await settle();
    expect(second).toBe(false); // 3 + 2 > 4
    window.release(3);
    await settle();
    expect(second).toBe(true);
    let drained = false;
    void window.drain().then(() => {
      drained = true;
    });
    await settle();
    expect(drained).toBe(false);
    window.release(2);
    await settle();
    expect(drained).toBe(true);
  });

  it("lets a task larger than the whole window go alone, never with another", async () => {
    const window = new Window(4);
    await window.acquire(10); // an empty window takes it
    let small = false;
    void window.acquire().then(() => {
      small = true;
    });
    await settle();
    expect(small).toBe(false);
    window.release(10);
    await settle();
    expect(small).toBe(true);
  });
});
