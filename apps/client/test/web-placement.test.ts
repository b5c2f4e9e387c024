import { initialPlacement } from "@zkv/membership";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Segment, segments } from "../src/dashboard/model.js";
import { apportion, DISPLAY_STEPS, displayArcs, percentTexts, sharesOf } from "../web/placement.js";
import { tenths } from "./support/percent-texts.js";

/** The page's pure placement logic (web/placement.js), in Node: no browser, no cluster. */

const seg = (node: string, start: number, end: number): Segment => ({ node, start, end });

/**
 * Any division of the circle: 1 to 8 nodes, up to 400 stretches of random widths in random owner
 * order (neighbours may share an owner), from a few wide ones to thousands of slivers.
 */
const circles = fc
  .record({
    nodes: fc.integer({ min: 1, max: 8 }),
    parts: fc.array(fc.record({ owner: fc.nat(), width: fc.integer({ min: 1, max: 1000 }) }), {
      minLength: 1,
      maxLength: 400,
    }),
  })
  .map(({ nodes, parts }) => {
    const total = parts.reduce((n, p) => n + p.width, 0);
    let at = 0;
    return parts.map((p) => {
      const start = at / total;
      at += p.width;
      return seg(`node-${p.owner % nodes}`, start, at / total);
    });
  });
const steps = fc.constantFrom(12, 90, 360);

describe("sharesOf and percentTexts", () => {
  it("adds up each node's stretches, and writes percentages that sum to exactly 100.0%", () => {
    const shares = sharesOf([seg("node-1", 0, 0.2), seg("node-0", 0.2, 0.5), seg("node-1", 0.5, 1)]);
    expect([...shares]).toEqual([
      ["node-0", expect.closeTo(0.3, 12)],
      ["node-1", expect.closeTo(0.7, 12)],
    ]);
    // Three thirds: 33.3% each would show 99.9%; the largest remainder gives the first the tenth.
    const thirds = new Map([
      ["node-0", 1 / 3],
      ["node-1", 1 / 3],
      ["node-2", 1 / 3],
    ]);
    expect([...percentTexts(thirds).values()]).toEqual(["33.4%", "33.3%", "33.3%"]);
  });

  it("orders node ids as people count them", () => {
    const shares = sharesOf([seg("node-10", 0, 0.5), seg("node-9", 0.5, 1)]);
    expect([...shares.keys()]).toEqual(["node-9", "node-10"]);
  });

  it("property: shares sum to 1, percentages to 100.0%, each within a tenth of its share", () => {
    fc.assert(
      fc.property(circles, (circle) => {
        const shares = sharesOf(circle);
        expect([...shares.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
        const texts = percentTexts(shares);
        expect(tenths(texts.values())).toBe(1000);
        for (const [node, share] of shares)
          expect(Math.abs(tenths([texts.get(node)!]) - share * 1000)).toBeLessThanOrEqual(1 + 1e-9);
      }),
    );
  });

  it("apportion gives every unit out, each count its exact share rounded down or up", () => {
    expect([
      ...apportion(
        new Map([
          ["a", 0.5],
          ["b", 0.25],
          ["c", 0.25],
        ]),
        4,
      ).values(),
    ]).toEqual([2, 1, 1]);
    expect([
      ...apportion(
        new Map([
          ["a", 0.55],
          ["b", 0.45],
        ]),
        10,
      ).values(),
    ]).toEqual([6, 4]);
  });
});

describe("displayArcs: the circle at display resolution", () => {
  it("keeps whole stretches that are wider than a step as they are", () => {
    const hrw = [seg("node-0", 0, 0.5), seg("node-1", 0.5, 0.75), seg("node-2", 0.75, 1)];
    expect(displayArcs(hrw, 4)).toEqual(hrw);
  });

  it("turns alternating slivers into alternating steps, one per node in turn", () => {
    const slivers = Array.from({ length: 200 }, (_, i) => seg(`node-${i % 2}`, i / 200, (i + 1) / 200));
    expect(displayArcs(slivers, 8).map((a) => a.node)).toEqual(
      Array.from({ length: 8 }, (_, i) => `node-${i % 2}`),
    );
  });

  it("folds a node too small for a step into its neighbours (the bars still show it)", () => {
    const circle = [seg("node-0", 0, 0.5), seg("node-1", 0.5, 0.501), seg("node-2", 0.501, 1)];
    expect(displayArcs(circle, 12)).toEqual([seg("node-0", 0, 0.5), seg("node-2", 0.5, 1)]);
  });

  it("draws the real 4-node ring (4096 virtual nodes) in at most 90 arcs of 4° or more", () => {
    const ring = segments("ring", initialPlacement(4).members);
    expect(ring.length).toBeGreaterThan(3000);
    const arcs = displayArcs(ring);
    expect(DISPLAY_STEPS).toBe(90);
    expect(arcs.length).toBeLessThanOrEqual(90);
    for (const a of arcs) expect(a.end - a.start).toBeGreaterThanOrEqual(1 / 90 - 1e-12);
  });

  it("property: the arcs cover the circle exactly once, each at least a step, neighbours differ", () => {
    fc.assert(
      fc.property(circles, steps, (circle, n) => {
        const arcs = displayArcs(circle, n);
        expect(arcs[0]?.start).toBe(0);
        expect(arcs[arcs.length - 1]?.end).toBe(1);
        arcs.forEach((a, i) => {
          expect(a.end - a.start).toBeGreaterThanOrEqual(1 / n - 1e-12);
          const next = arcs[i + 1];
          if (next) {
            expect(next.start).toBe(a.end);
            expect(next.node).not.toBe(a.node);
          }
        });
      }),
    );
  });

  it("property: drawing never changes a node's share by more than one step", () => {
    fc.assert(
      fc.property(circles, steps, (circle, n) => {
        const drawn = sharesOf(displayArcs(circle, n));
        for (const [node, share] of sharesOf(circle))
          expect(Math.abs((drawn.get(node) ?? 0) - share)).toBeLessThanOrEqual(1 / n + 1e-9);
      }),
    );
  });

  it("property: each step is drawn near ground its node really owns (within 1.5 steps per node + 1)", () => {
    fc.assert(
      fc.property(circles, steps, (circle, n) => {
        const nodes = sharesOf(circle).size;
        const reach = (1.5 * nodes + 1) / n + 1e-9;
        for (const a of displayArcs(circle, n))
          for (let at = a.start; at < a.end - 1e-12; at += 1 / n) {
            const distance = Math.min(
              ...circle
                .filter((s) => s.node === a.node)
                .map((s) => Math.max(0, s.start - (at + 1 / n), at - s.end)),
            );
            expect(distance).toBeLessThanOrEqual(reach);
          }
      }),
    );
  });
});
