import { envelopeFields, own } from "./own-fields.js";
import { isWellFormedText } from "./schemas/common.js";
import type { Request } from "./schemas/requests.js";

type ReplicateRequest = Extract<Request, { op: "REPLICATE" }>;

/** Most copies one REPLICATE may carry (ReplicateRequestSchema's cap). */
const MAX_ENTRIES = 10_000;

/**
 * A REPLICATE checked by hand, as fastKeyOp does for single key ops: zod's object parse of each
 * copy costs about a microsecond and a fresh object, which every replica pays for every copy a
 * coordinator sends it. Only a message whose every field, and every copy's, is known and well
 * typed is decoded here, into exactly what ReplicateRequestSchema returns; anything else returns
 * undefined and goes through the schema, which words the error. A property test holds the two
 * together.
 */
export function fastReplicate(value: unknown): ReplicateRequest | undefined {
  const count = envelopeFields(value, "REPLICATE");
  const fields = value as Record<string, unknown>;
  if (count < 0) return undefined;
  let known = count;
  if (Object.hasOwn(fields, "entries")) {
    const entries = fields.entries;
    if (!Array.isArray(entries) || entries.length > MAX_ENTRIES) return undefined;
    for (const entry of entries) if (!isCopy(entry)) return undefined;
    known++;
  }
  if (Object.hasOwn(fields, "columns")) {
    if (!isColumns(fields.columns)) return undefined;
    known++;
  }
  if (Object.keys(fields).length !== known) return undefined;
  return value as ReplicateRequest;
}

/** What ReplicateColumnsSchema accepts, with no field it does not know. */
function isColumns(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const c = value as Record<string, unknown>;
  const keys = own(c, "keys");
  const values = own(c, "values");
  const versions = own(c, "versions");
  if (!Array.isArray(keys) || !Array.isArray(values) || !Array.isArray(versions)) return false;
  const n = keys.length;
  if (n > MAX_ENTRIES || values.length !== n || versions.length !== n) return false;
  let count = 3;
  if (Object.hasOwn(c, "expiresAt")) {
    const at = c.expiresAt;
    if (!Array.isArray(at) || at.length !== n) return false;
    for (const t of at) if (t !== 0 && (!Number.isSafeInteger(t) || (t as number) < 0)) return false;
    count++;
  }
  if (Object.keys(c).length !== count) return false;
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    const v = values[i];
    const version = versions[i];
    if (typeof key !== "string" || !Number.isSafeInteger(version) || (version as number) < 0) return false;
    if (v === null) continue;
    // A value's key and value are stored: well-formed UTF-16 (a tombstone's key need not be).
    if (typeof v !== "string" || !isWellFormedText(v) || !isWellFormedText(key)) return false;
  }
  return true;
}

/** What VersionedEntrySchema accepts, with no field it does not know. */
function isCopy(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const e = value as Record<string, unknown>;
  const key = own(e, "key");
  const version = own(e, "version");
  if (typeof key !== "string" || !Number.isSafeInteger(version) || (version as number) < 0) return false;
  let count = 2;
  if (Object.hasOwn(e, "value")) {
    const v = e.value;
    // A value's key and value are stored: well-formed UTF-16 (a tombstone's key need not be).
    if (typeof v !== "string" || !isWellFormedText(v) || !isWellFormedText(key)) return false;
    count++;
  }
  if (Object.hasOwn(e, "expiresAt")) {
    const at = e.expiresAt;
    if (!Number.isSafeInteger(at) || (at as number) <= 0) return false;
    count++;
  }
  return Object.keys(e).length === count;
}
