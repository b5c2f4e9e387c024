import { colorOf, count, h, percent } from "./format.js";

/** @typedef {import("../src/dashboard/model.js").DashboardState} DashboardState */
/** @typedef {import("../src/dashboard/model.js").MemberView} MemberView */

const COLUMNS = ["Node", "Placement", "Health", "Address", "Keys", "Share", "Ops/s", ""];

/**
 * A numeric cell; `data-value` holds the raw number so tests and scripts need not parse text.
 * @param {string} col
 * @param {number | undefined} value
 * @param {string} text
 */
function num(col, value, text) {
  return h(
    "td",
    { class: "num", "data-col": col, "data-value": value === undefined ? "" : String(value) },
    text,
  );
}

/**
 * `<zkv-members>`: the members table, the same rows as `zkv nodes` (desired and live nodes,
 * health from Consul, key counts from STATS) plus ops/s. Each member has a Remove button, which
 * asks the page (a `remove-node` event) to confirm and run it.
 */
class ZkvMembers extends HTMLElement {
  /** True while a rebalance runs: the buttons are disabled then. */
  #busy = false;

  /** @param {{ state: DashboardState, busy: boolean }} view */
  set view({ state, busy }) {
    this.#busy = busy;
    const total = state.members.reduce((sum, m) => sum + (m.keys ?? 0), 0);
    const head = h("tr", {}, ...COLUMNS.map((c) => h("th", { scope: "col" }, c)));
    const rows = state.members.map((m) => this.#row(m, total, state.members.length));
    this.replaceChildren(h("table", {}, h("thead", {}, head), h("tbody", {}, ...rows)));
  }

  /**
   * @param {MemberView} m
   * @param {number} total
   * @param {number} size
   */
  #row(m, total, size) {
    const remove = h("button", { type: "button", class: "remove", "data-action": "remove" }, "Remove");
    if (this.#busy || m.desired !== "member" || size <= 1) remove.setAttribute("disabled", "");
    remove.addEventListener("click", () =>
      this.dispatchEvent(new CustomEvent("remove-node", { detail: m.id, bubbles: true })),
    );
    const health = m.health ?? (m.live ? "unknown" : "not registered");
    // A cut between nodes that Consul does not see: the node says which members it cannot reach.
    const cut = m.unreachablePeers.length
      ? h(
          "span",
          { class: "badge warning", "data-col": "cut" },
          `cannot reach ${m.unreachablePeers.join(", ")}`,
        )
      : "";
    return h(
      "tr",
      { "data-node": m.id, "data-health": m.health ?? "none" },
      h(
        "td",
        { "data-col": "node" },
        h("span", { class: "swatch", style: `background:${colorOf(m.id)}` }),
        m.id,
      ),
      h("td", { "data-col": "desired", class: `desired ${m.desired}` }, m.desired),
      h(
        "td",
        { "data-col": "health" },
        h("span", { class: `badge ${m.health ?? "none"}` }, health),
        " ",
        cut,
      ),
      h("td", { "data-col": "address" }, m.address ?? "–"),
      num("keys", m.keys, count(m.keys)),
      num("share", m.keys, m.keys === undefined || total === 0 ? "–" : percent(m.keys / total)),
      num("ops", m.opsPerSecond, m.opsPerSecond === undefined ? "–" : count(m.opsPerSecond)),
      h("td", {}, remove),
    );
  }
}

customElements.define("zkv-members", ZkvMembers);
