/**
 * The backup file, JSON lines: readable by `jq`, `grep` and any language, and streamable both
 * ways. Format 2 (what `zkv export` writes) opens with a header line and gives each entry its
 * version and absolute expiry, so an import can keep the newer copy and keep TTLs:
 *
 *   {"zkv":"export","format":2,"exportedAt":1761234567890}
 *   {"key":"k","value":"v","version":1761234567000123}
 *   {"key":"session","value":"…","version":1761234567000456,"expiresAt":1761238167000}
 *
 * Format 1 (zkv before versioned exports) has no header and values only, `{"key":…,"value":…}`.
 * Pure: no I/O, so the round trip has its property test.
 */

/** The format `zkv export` writes. */
export const EXPORT_FORMAT = 2;

/** An exported entry: the key's value, its version, and when it expires (ms since the epoch). */
export interface ExportedEntry {
  readonly key: string;
  readonly value: string;
  readonly version: number;
  readonly expiresAt?: number;
}

/** One line of a backup, read: an entry with its version (format 2) or a bare value (format 1). */
export type BackupItem =
  | { readonly format: 2; readonly entry: ExportedEntry }
  | { readonly format: 1; readonly entry: { readonly key: string; readonly value: string } };

/** A backup line that is not what its format allows; `line` counts from 1. */
export class BackupFormatError extends Error {
  readonly code = "BAD_BACKUP_LINE";
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

/** The first line of a format-2 export. */
export function exportHeaderLine(exportedAt: number): string {
  return `${JSON.stringify({ zkv: "export", format: EXPORT_FORMAT, exportedAt })}\n`;
}

/** One entry of a format-2 export, as a line. */
export function exportEntryLine(entry: ExportedEntry): string {
  const { key, value, version, expiresAt } = entry;
  return `${JSON.stringify(expiresAt === undefined ? { key, value, version } : { key, value, version, expiresAt })}\n`;
}

/**
 * Reads a backup line by line, in order: the first non-blank line says the format (a header, or
 * a format-1 entry), and every later line must be an entry of that format. Blank lines are
 * skipped (undefined).
 */
export class BackupReader {
  #line = 0;
  #format: 1 | 2 | undefined;

  /** Lines read so far, blank and header lines included. */
  get lines(): number {
    return this.#line;
  }

  /** The file's format, once its first line has been read. */
  get format(): 1 | 2 | undefined {
    return this.#format;
  }

  read(text: string): BackupItem | undefined {
    const line = ++this.#line;
    if (text.trim() === "") return undefined;
    const fields = parseObject(text, line);
    if (Object.hasOwn(fields, "zkv")) {
      if (this.#format !== undefined)
        throw new BackupFormatError(line, "a header belongs on the first line only");
      this.#format = headerFormat(fields, line);
      return undefined;
    }
    this.#format ??= 1;
    const key = stringField(fields, "key", line);
    const value = stringField(fields, "value", line);
    if (this.#format === 1) return { format: 1, entry: { key, value } };
    const version = fields.version;
    if (!Number.isSafeInteger(version) || (version as number) < 0) {
      throw new BackupFormatError(line, '"version" must be an integer ≥ 0');
    }
    const expiresAt = fields.expiresAt;
    if (expiresAt === undefined) return { format: 2, entry: { key, value, version: version as number } };
    if (!Number.isSafeInteger(expiresAt) || (expiresAt as number) <= 0) {
      throw new BackupFormatError(line, '"expiresAt" must be a positive integer (ms since the epoch)');
    }
    return { format: 2, entry: { key, value, version: version as number, expiresAt: expiresAt as number } };
  }
}

function parseObject(text: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BackupFormatError(line, "not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BackupFormatError(line, 'expected an object {"key":…,"value":…}');
  }
  return value as Record<string, unknown>;
}

function headerFormat(fields: Record<string, unknown>, line: number): 1 | 2 {
  if (fields.zkv !== "export") throw new BackupFormatError(line, 'a header says "zkv":"export"');
  const format = fields.format;
  if (format === 1 || format === 2) return format;
  if (Number.isSafeInteger(format) && (format as number) > EXPORT_FORMAT) {
    throw new BackupFormatError(
      line,
      `format ${format} was written by a newer zkv; this one reads formats 1 and ${EXPORT_FORMAT}`,
    );
  }
  throw new BackupFormatError(line, `unknown format ${JSON.stringify(format)}`);
}

function stringField(fields: Record<string, unknown>, name: "key" | "value", line: number): string {
  const value = fields[name];
  if (typeof value !== "string") throw new BackupFormatError(line, `"${name}" must be a string`);
  return value;
}
