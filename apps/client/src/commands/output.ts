import { once } from "node:events";

/** Writes a line to stdout. */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes to stdout, waiting when the reader is slower than we are (streamed output). */
export async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

/** Writes a diagnostic line to stderr. */
export function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Prints rows as an aligned table, header first. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  for (const row of all)
    out(
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    );
}
