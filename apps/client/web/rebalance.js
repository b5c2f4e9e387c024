import { colorOf, count, duration, h } from "./format.js";

/** @typedef {import("../src/dashboard/model.js").RebalanceView} RebalanceView */

const PHASES = {
  "waiting-for-node": "waiting for the new node to pass its health check",
  scanning: "listing the keys",
  moving: "moving keys",
  sweeping: "moving keys written during the move",
  done: "done",
  failed: "failed",
};

/** How a run is named while it runs and once done; set-replication's `node` is its target, `n=3`. */
const TITLES = {
  add: ["Adding", "Added"],
  remove: ["Removing", "Removed"],
  "set-replication": ["Changing the replication factor to", "Replication factor changed to"],
};

/**
 * A labelled figure; `data-value` holds the raw number.
 * @param {string} field
 * @param {string} label
 * @param {number | undefined} value
 * @param {string} text
 */
function figure(field, label, value, text) {
  return h(
    "div",
    { class: "figure" },
    h("dt", {}, label),
    h("dd", { "data-field": field, "data-value": value === undefined ? "" : String(value) }, text),
  );
}

/**
 * `<zkv-rebalance>`: the add-node, remove-node or set-replication in progress (or the last one): keys moved of the
 * plan's total, the rate and the time left, from the run's progress reports; a run started from
 * the CLI in another process shows here as well as one started on this page.
 */
class ZkvRebalance extends HTMLElement {
  /** @param {RebalanceView | undefined} r */
  set rebalance(r) {
    if (!r) {
      this.replaceChildren(h("p", { class: "muted" }, "No add-node or remove-node has run yet."));
      return;
    }
    const [verb, done] = TITLES[r.kind];
    const over = r.phase === "done" || r.phase === "failed";
    const title = `${r.phase === "done" ? done : verb} ${r.node}`;
    const fraction = r.planned > 0 ? r.moved / r.planned : over ? 1 : 0;
    const bar = h("progress", { max: "1", value: String(fraction), "aria-label": "keys moved" });
    const status = r.stale
      ? `no report for a while (last: ${PHASES[r.phase]}); the run may have been stopped — running the same command again finishes it`
      : r.phase === "failed"
        ? `failed: ${r.error ?? "unknown error"}`
        : r.kind === "set-replication" && r.phase === "moving"
          ? "copying keys to their new replicas"
          : PHASES[r.phase];
    this.replaceChildren(
      h(
        "h3",
        { "data-field": "title", "data-phase": r.phase },
        h("span", { class: "swatch", style: `background:${colorOf(r.node)}` }),
        title,
      ),
      h("p", { "data-field": "phase", class: `phase ${r.phase}${r.stale ? " stale" : ""}` }, status),
      bar,
      h(
        "dl",
        {},
        figure("moved", "moved", r.moved, count(r.moved)),
        figure("planned", "planned", r.planned, count(r.planned)),
        figure("rate", "keys/s", r.rate, count(r.rate)),
        figure("eta", "time left", r.etaSeconds, duration(r.etaSeconds)),
        figure("swept", "swept", r.swept, count(r.swept)),
        figure("scanned", "keys listed", r.scanned, count(r.scanned)),
      ),
      h("p", { class: "muted" }, `run ${r.run.slice(0, 8)} by ${r.holder}`),
    );
  }
}

customElements.define("zkv-rebalance", ZkvRebalance);
