// Helpers shared by the page's components: node colours, number formats, element building.

/** Tableau 10: distinct on screen and in print, so neighbouring arcs stay tellable apart. */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/**
 * A node's colour, the same in the ring, the legend and the table: `node-<n>` takes the n-th
 * colour (so a node keeps its colour while others join and leave), any other id one by its hash.
 * @param {string} id
 * @returns {string}
 */
export function colorOf(id) {
  const n = /^node-(\d+)$/.exec(id);
  let index = n ? Number(n[1]) : 0;
  if (!n) for (const ch of id) index = (index * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[index % PALETTE.length] ?? "#999";
}

/**
 * 12,345 (or "–" when unknown).
 * @param {number | undefined} n
 */
export function count(n) {
  return n === undefined ? "–" : Math.round(n).toLocaleString("en-US");
}

/**
 * A fraction as a percentage with one decimal.
 * @param {number} x
 */
export function percent(x) {
  return `${(100 * x).toFixed(1)}%`;
}

/**
 * Seconds as "42 s" or "3 min 5 s".
 * @param {number | undefined} s
 */
export function duration(s) {
  if (s === undefined) return "–";
  if (s < 60) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/**
 * Builds an element: `h("td", { class: "num" }, "42")`. Text is set as text, never as HTML, so
 * nothing the cluster reports (node ids, addresses, errors) can inject markup.
 * @param {string} tag
 * @param {Record<string, string | undefined>} [attrs]
 * @param {Array<Node | string>} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(name, value);
  el.append(...children);
  return el;
}
