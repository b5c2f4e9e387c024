import { colorOf } from "./format.js";
import { changingNode, displayArcs } from "./placement.js";

/** @typedef {import("../src/dashboard/model.js").RingView} RingView */
/** @typedef {import("../src/dashboard/model.js").Segment} Segment */

const SVG = "http://www.w3.org/2000/svg";
/** Radius of the placement in force; the one a rebalance moves to is drawn inside it. */
const OUTER = 1;
const INNER = 0.74;

/**
 * A point on the circle: fraction 0 at the top, growing clockwise, like a clock.
 * @param {number} r
 * @param {number} fraction
 */
function point(r, fraction) {
  const angle = fraction * 2 * Math.PI - Math.PI / 2;
  return `${(r * Math.cos(angle)).toFixed(5)} ${(r * Math.sin(angle)).toFixed(5)}`;
}

/**
 * One SVG path per node holding all its arcs as sub-paths: a handful of elements, whatever the
 * number of arcs. An arc over half the circle is split in two, since an SVG arc with equal ends
 * draws nothing.
 * @param {readonly Segment[]} arcs
 * @param {number} r
 * @returns {Map<string, string>}
 */
function pathsByNode(arcs, r) {
  /** @type {Map<string, string>} */
  const paths = new Map();
  for (const a of arcs) {
    let d = paths.get(a.node) ?? "";
    for (let start = a.start; start < a.end; ) {
      const end = Math.min(a.end, start + 0.5);
      d += `M${point(r, start)}A${r} ${r} 0 0 1 ${point(r, end)}`;
      start = end;
    }
    paths.set(a.node, d);
  }
  return paths;
}

/**
 * `<zkv-ring>`: the placement as a circle, drawn in 4° steps (see displayArcs): ring hashing
 * shows where each node's keys hash (with 1024 virtual nodes, evenly spread stripes), HRW each
 * node's share as one arc. During a rebalance the inner circle is the placement the data is
 * moving to, with the node joining or leaving picked out. `picked` shows one node's arcs alone.
 */
class ZkvRing extends HTMLElement {
  /** The node a rebalance in progress adds or removes, if any: the focus when none is asked. */
  #changing = /** @type {string | undefined} */ (undefined);
  #svg = /** @type {SVGSVGElement | undefined} */ (undefined);

  /** @param {RingView | undefined} ring */
  set ring(ring) {
    if (ring) this.#render(ring);
  }

  /** @param {string | undefined} node */
  set picked(node) {
    const shown = node ?? this.#changing;
    for (const g of this.#svg?.querySelectorAll("g") ?? []) {
      // A circle without that node (the current one, while a node is added) stays as it is.
      const has = [...g.children].some((p) => p.getAttribute("data-node") === shown);
      for (const path of g.children)
        path.classList.toggle("dim", has && path.getAttribute("data-node") !== shown);
    }
  }

  /** @param {RingView} ring */
  #render(ring) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "-1.15 -1.15 2.3 2.3");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${ring.hashing} placement`);
    const circles = ring.next
      ? [
          { segments: ring.current, r: OUTER, width: 0.14, name: "current" },
          { segments: ring.next, r: INNER, width: 0.1, name: "next" },
        ]
      : [{ segments: ring.current, r: OUTER, width: 0.18, name: "current" }];
    for (const c of circles) {
      const g = document.createElementNS(SVG, "g");
      g.setAttribute("data-ring", c.name);
      for (const [node, d] of pathsByNode(displayArcs(c.segments), c.r)) {
        const path = document.createElementNS(SVG, "path");
        path.setAttribute("d", d);
        path.setAttribute("fill", "none");
        path.setAttribute("stroke", colorOf(node));
        path.setAttribute("stroke-width", String(c.width));
        path.setAttribute("data-node", node);
        g.append(path);
      }
      svg.append(g);
    }
    const lines = ring.next
      ? ["outer: now", "inner: after"]
      : [ring.hashing === "ring" ? "hash ring" : "HRW shares"];
    lines.forEach((line, i) => {
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("text-anchor", "middle");
      label.setAttribute("dominant-baseline", "middle");
      label.setAttribute("class", "ring-label");
      label.setAttribute("y", String((i - (lines.length - 1) / 2) * 0.15));
      label.textContent = line;
      svg.append(label);
    });
    this.#svg = svg;
    this.#changing = ring.next ? changingNode(ring.current, ring.next)?.node : undefined;
    this.picked = undefined;
    this.replaceChildren(svg);
  }
}

customElements.define("zkv-ring", ZkvRing);
