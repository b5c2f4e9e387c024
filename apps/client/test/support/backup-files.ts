import { BackupReader } from "../../src/backup/format.js";

/** Reads `text` as a whole backup file: its items, in order. */
export function readAll(text: string) {
  const reader = new BackupReader();
  const items = text
    .split("\n")
    .map((line) => reader.read(line))
    .filter((i) => i !== undefined);
  return { reader, items };
}
