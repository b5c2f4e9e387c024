import { colorOf, h, percent } from "./format.js";

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
 * One SVG path per node holding all its arcs as sub-paths: 4 elements instead of thousands.
 * An arc over half the circle is split in two, since an SVG arc with equal ends draws nothing.
 * @param {readonly Segment[]} segments
 * @param {number} r
 * @returns {Map<string, string>}
 */
function pathsByNode(segments, r) {
  /** @type {Map<string, string>} */
  const paths = new Map();
  for (const s of segments) {
    let d = paths.get(s.node) ?? "";
    for (let start = s.start; start < s.end; ) {
      const end = Math.min(s.end, start + 0.5);
      d += `M${point(r, start)}A${r} ${r} 0 0 1 ${point(r, end)}`;
      start = end;
    }
    paths.set(s.node, d);
  }
  return paths;
}

/**
 * Each node's share of the circle (the share of keys it should hold).
 * @param {readonly Segment[]} segments
 */
function shares(segments) {
  /** @type {Map<string, number>} */
  const share = new Map();
  for (const s of segments) share.set(s.node, (share.get(s.node) ?? 0) + (s.end - s.start));
  return share;
}

/**
 * The one node in one placement and not the other: the node being added or removed.
 * @param {readonly Segment[]} current
 * @param {readonly Segment[]} next
 */
function changingNode(current, next) {
  const before = new Set(current.map((s) => s.node));
  const after = new Set(next.map((s) => s.node));
  for (const n of after) if (!before.has(n)) return n;
  for (const n of before) if (!after.has(n)) return n;
  return undefined;
}

/**
 * `<zkv-ring>`: the placement as a circle. Ring hashing: the real ring, each arc coloured by the
 * node owning the keys that hash into it. HRW: each node's share as one segment. During a
 * rebalance the inner circle is the placement the data is moving to.
 */
class ZkvRing extends HTMLElement {
  /** @param {RingView | undefined} ring */
  set ring(ring) {
    if (ring) this.#render(ring);
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
      for (const [node, d] of pathsByNode(c.segments, c.r)) {
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

    const share = shares(ring.next ?? ring.current);
    const legend = h(
      "ul",
      { class: "legend" },
      ...[...share]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([node, s]) =>
          h(
            "li",
            { "data-node": node },
            h("span", { class: "swatch", style: `background:${colorOf(node)}` }),
            `${node} ${percent(s)}`,
          ),
        ),
    );
    // The ring's thousands of arcs are hard to tell apart: pointing at a node in the legend
    // shows its arcs alone, and during a rebalance the node joining or leaving stands out.
    const focus = (/** @type {string | undefined} */ node) => {
      for (const g of svg.querySelectorAll("g")) {
        // A circle without that node (the current one, while a node is added) stays as it is.
        const has = [...g.children].some((p) => p.getAttribute("data-node") === node);
        for (const path of g.children)
          path.classList.toggle("dim", has && path.getAttribute("data-node") !== node);
      }
    };
    for (const item of legend.children) {
      item.addEventListener("mouseenter", () => focus(item.getAttribute("data-node") ?? undefined));
      item.addEventListener("mouseleave", () => focus(this.#changing));
    }
    this.#changing = ring.next ? changingNode(ring.current, ring.next) : undefined;
    focus(this.#changing);
    const caption = ring.next ? "shares after the rebalance" : "share of the hash space";
    this.replaceChildren(svg, legend, h("p", { class: "muted" }, caption));
  }

  /** The node a rebalance in progress adds or removes, if any. */
  #changing = /** @type {string | undefined} */ (undefined);
}

customElements.define("zkv-ring", ZkvRing);
