/** A count for a table: rounded, with thousands separators. */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Milliseconds as seconds with two decimals. */
export function secs(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** Prints a Markdown table, every column padded to its widest cell. */
export function printTable(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  console.log(line(cells[0]!));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of cells.slice(1)) console.log(line(r));
}
