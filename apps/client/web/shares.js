import { colorOf, h } from "./format.js";
import { movingProgress, shareRows } from "./placement.js";

/** @typedef {import("../src/dashboard/model.js").RingView} RingView */
/** @typedef {import("../src/dashboard/model.js").RebalanceView} RebalanceView */
/** @typedef {import("./placement.js").ShareRow} ShareRow */

/**
 * A width for a bar: the largest share on the page fills the track, so bars compare by length.
 * @param {number} share
 * @param {number} largest
 */
function width(share, largest) {
  return `width:${((100 * share) / largest).toFixed(2)}%`;
}

/**
 * `<zkv-shares>`: beside the ring, one bar per node with its share, the numbers a person reads
 * at a glance. During a rebalance each bar shows now (faded) and after (solid), the value reads
 * "now → after", and the node joining or leaving is highlighted with how far its keys have moved.
 * Pointing at a row asks the page (a `focus-node` event) to show that node's arcs alone.
 */
class ZkvShares extends HTMLElement {
  #ring = /** @type {RingView | undefined} */ (undefined);
  #rebalance = /** @type {RebalanceView | undefined} */ (undefined);

  constructor() {
    super();
    // On the element itself, which outlives the rows it redraws every second.
    this.addEventListener("pointerover", (e) => {
      const row = e.target instanceof Element ? e.target.closest("li[data-node]") : null;
      if (row) this.#focus(row.getAttribute("data-node") ?? undefined);
    });
    this.addEventListener("pointerleave", () => this.#focus(undefined));
  }

  /** @param {RingView | undefined} ring */
  set ring(ring) {
    this.#ring = ring;
    this.#render();
  }

  /** @param {RebalanceView | undefined} rebalance */
  set rebalance(rebalance) {
    this.#rebalance = rebalance;
    this.#render();
  }

  /** @param {string | undefined} node */
  #focus(node) {
    this.dispatchEvent(new CustomEvent("focus-node", { detail: node, bubbles: true }));
  }

  #render() {
    if (!this.#ring) return;
    const rows = shareRows(this.#ring);
    const largest = Math.max(...rows.flatMap((r) => [r.now, r.after ?? 0]), Number.MIN_VALUE);
    const of = this.#ring.hashing === "ring" ? "the hash space" : "the weight (HRW)";
    const caption = this.#ring.next
      ? "share now → after the rebalance (bar: faded now, solid after)"
      : `share of ${of}: the part of the keys each node holds`;
    this.replaceChildren(
      h("ul", { class: "shares" }, ...rows.map((row) => this.#row(row, largest))),
      h("p", { class: "muted" }, caption),
    );
  }

  /**
   * @param {ShareRow} row
   * @param {number} largest
   */
  #row(row, largest) {
    const color = `background:${colorOf(row.node)}`;
    const bar = h("span", { class: "bar" });
    if (row.after === undefined)
      bar.append(h("span", { class: "now", style: `${width(row.now, largest)};${color}` }));
    else
      bar.append(
        h("span", { class: "before", style: `${width(row.now, largest)};${color}` }),
        h("span", { class: "now", style: `${width(row.after, largest)};${color}` }),
      );
    const value = row.afterText === undefined ? row.nowText : `${row.nowText} → ${row.afterText}`;
    const item = h(
      "li",
      {
        "data-node": row.node,
        "data-share": String(row.now),
        "data-after": row.after === undefined ? undefined : String(row.after),
        "data-change": row.change,
        class: row.change ? "changing" : undefined,
      },
      h("span", { class: "name" }, h("span", { class: "swatch", style: color }), row.node),
      bar,
      h("span", { class: "value", "data-field": "share" }, value),
    );
    if (row.change) {
      const moving = movingProgress(this.#rebalance, row);
      item.append(
        h(
          "div",
          { class: "moving", "data-field": "moving" },
          h("strong", {}, row.change),
          moving ? ` · ${moving.text}` : "",
          moving?.fraction === undefined
            ? ""
            : h("progress", { max: "1", value: String(moving.fraction), "aria-label": "keys moved" }),
        ),
      );
    }
    return item;
  }
}

customElements.define("zkv-shares", ZkvShares);
