import { describe, expect, it } from "vitest";
import { SendQueue } from "../src/lib/cluster/send-queue.js";

/** A small deterministic generator (mulberry32): the same sequences on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("SendQueue", () => {
  it("hands items out in order and holds only those not yet taken, for any mix of pushes and takes", () => {
    const wrong: string[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      const next = random(seed);
      const queue = new SendQueue<{ n: number }>();
      const model: Array<{ n: number }> = [];
      let n = 0;
      // Runs long enough to pass the 4096 compaction now and then, in bursts like a batcher's.
      const steps = 200 + Math.floor(next() * 12_000);
      const pushBias = 0.3 + next() * 0.4;
      for (let step = 0; step < steps; step++) {
        if (next() < pushBias) {
          const item = { n: n++ };
          queue.push(item);
          model.push(item);
        } else if (queue.peek() !== model[0] || queue.take() !== model.shift()) {
          wrong.push(`seed ${seed}, step ${step}: not the oldest item`);
        }
        if (queue.size !== model.length) wrong.push(`seed ${seed}, step ${step}: size ${queue.size}`);
      }
      if (queue.held() !== model.length) wrong.push(`seed ${seed}: holds ${queue.held()} of ${model.length}`);
      while (model.length > 0) if (queue.take() !== model.shift()) wrong.push(`seed ${seed}: drain order`);
      if (queue.take() !== undefined || queue.held() !== 0) wrong.push(`seed ${seed}: not empty at the end`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it("keeps nothing of a round once it is taken, as 50 callers' rounds go", () => {
    const queue = new SendQueue<object>();
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 50; i++) queue.push({});
      for (let i = 0; i < 49; i++) queue.take();
      expect(queue.held()).toBe(1);
      queue.take();
      expect(queue.held()).toBe(0);
      expect(queue.size).toBe(0);
    }
  });
});
