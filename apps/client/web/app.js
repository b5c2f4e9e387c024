// The page: subscribes to the dashboard's server-sent events and hands each to its component;
// the add-node and remove-node buttons confirm, then POST to the dashboard, which runs them.
import "./members.js";
import "./rebalance.js";
import "./ring.js";
import "./shares.js";

/** @typedef {import("../src/dashboard/model.js").DashboardState} DashboardState */
/** @typedef {import("../src/dashboard/model.js").RingView} RingView */
/** @typedef {import("../src/dashboard/actions.js").ActionOutcome} ActionOutcome */
/** @typedef {{ rebalance: DashboardState["rebalance"] }} Rebalancing */

/**
 * @template {Element} T
 * @param {string} selector
 * @returns {T}
 */
function $(selector) {
  const el = document.querySelector(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return /** @type {T} */ (el);
}

const ring = /** @type {HTMLElement & { ring: RingView | undefined, picked: string | undefined }} */ (
  $("zkv-ring")
);
const shares = /** @type {HTMLElement & { ring: RingView | undefined } & Rebalancing} */ ($("zkv-shares"));
const members = /** @type {HTMLElement & { view: { state: DashboardState, busy: boolean } }} */ (
  $("zkv-members")
);
const rebalance = /** @type {HTMLElement & Rebalancing} */ ($("zkv-rebalance"));
const addButton = /** @type {HTMLButtonElement} */ ($("#add-node"));
const summary = $("#summary");
const connection = $("#connection");
const notice = /** @type {HTMLElement} */ ($("#notice"));

/** @type {DashboardState | undefined} */
let state;
/** True from a button press until the run it started is reported (or refused). */
let requesting = false;

/** A run that is neither over nor stale holds the lock: no second one can start. */
function busy() {
  const r = state?.rebalance;
  return requesting || (r !== undefined && r.phase !== "done" && r.phase !== "failed" && !r.stale);
}

/**
 * @param {string} text
 * @param {"info" | "error"} kind
 */
function say(text, kind = "info") {
  notice.textContent = text;
  notice.className = kind;
  notice.hidden = false;
}

function render() {
  if (!state) return;
  const placed = state.members.filter((m) => m.desired === "member").length;
  const consul = state.consulReachable ? "" : " · Consul unreachable: showing the last known state";
  summary.textContent = `${placed} members · hashing ${state.hashing} · placement epoch ${state.epoch ?? 0}${consul}`;
  addButton.disabled = busy();
  members.view = { state, busy: busy() };
  rebalance.rebalance = state.rebalance;
  shares.rebalance = state.rebalance;
}

/**
 * Asks the dashboard to run a change; the page follows it through the pushed progress.
 * @param {string} path
 * @param {Record<string, string>} body
 */
async function act(path, body) {
  requesting = true;
  render();
  try {
    const res = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const reply = await res.json();
    if (!res.ok) say(`refused: ${reply.error?.message ?? res.statusText}`, "error");
    else notice.hidden = true;
  } catch (err) {
    say(`could not reach the dashboard: ${err instanceof Error ? err.message : err}`, "error");
  } finally {
    requesting = false;
    render();
  }
}

addButton.addEventListener("click", () => {
  const size = state?.members.filter((m) => m.desired === "member").length ?? 0;
  const question =
    `Add a node to the cluster?\n\nThe launcher starts it and about 1/${size + 1} of the keys ` +
    "move to it. It runs exactly like `zkv add-node`.";
  if (confirm(question)) void act("/api/add-node", {});
});

members.addEventListener("remove-node", (event) => {
  const id = /** @type {CustomEvent<string>} */ (event).detail;
  const question =
    `Remove ${id}?\n\nIts keys move to the nodes that own them next, then it deregisters and ` +
    `exits. It runs exactly like \`zkv remove-node ${id}\`.`;
  if (confirm(question)) void act("/api/remove-node", { id });
});

const events = new EventSource("/events");
events.addEventListener("open", () => connection.classList.add("live"));
events.addEventListener("error", () => connection.classList.remove("live"));
events.addEventListener("ring", (e) => {
  const view = JSON.parse(/** @type {MessageEvent<string>} */ (e).data) ?? undefined;
  ring.ring = view;
  shares.ring = view;
});
// Pointing at a node's share shows its arcs alone.
shares.addEventListener("focus-node", (event) => {
  ring.picked = /** @type {CustomEvent<string | undefined>} */ (event).detail;
});
events.addEventListener("state", (e) => {
  state = JSON.parse(/** @type {MessageEvent<string>} */ (e).data) ?? undefined;
  render();
});
events.addEventListener("outcome", (e) => {
  /** @type {ActionOutcome} */
  const outcome = JSON.parse(/** @type {MessageEvent<string>} */ (e).data);
  if (outcome.ok) {
    const r = outcome.result;
    say(
      `${r.kind === "add" ? "added" : "removed"} ${r.node}: moved ${r.moved} keys in ${r.seconds.toFixed(1)} s`,
    );
  } else say(`the rebalance failed: ${outcome.message}`, "error");
});
