import { envelopeFields, own } from "./own-fields.js";
import { MAX_BATCH_OPS } from "./schemas/batch.js";
import type { Request } from "./schemas/requests.js";

type BatchRequest = Extract<Request, { op: "BATCH" }>;

/**
 * A BATCH's envelope checked by hand, as fastKeyOp does for single key ops: zod's pass over
 * `ops` or the columns' arrays touches every element (a schema call each), which a batch of 1000
 * pays on every message, while the elements are validated one by one as they are applied anyway.
 * Only a message whose every field is known and well typed is decoded here, into exactly what
 * BatchRequestSchema returns; anything else returns undefined and goes through the schema, which
 * words the error. A property test holds the two together.
 */
export function fastBatch(value: unknown): BatchRequest | undefined {
  const count = envelopeFields(value, "BATCH", true);
  const fields = value as Record<string, unknown>;
  if (count < 0 || Object.keys(fields).length !== count + 1) return undefined;
  const ops = own(fields, "ops");
  if (ops !== undefined) {
    if (!Array.isArray(ops) || ops.length === 0 || ops.length > MAX_BATCH_OPS) return undefined;
    return value as BatchRequest;
  }
  return isColumns(own(fields, "columns")) ? (value as BatchRequest) : undefined;
}

/** What BatchColumnsSchema accepts, with no field it does not know. */
function isColumns(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const c = value as Record<string, unknown>;
  const ops = own(c, "ops");
  if (typeof ops !== "string" || ops.length === 0 || ops.length > MAX_BATCH_OPS) return false;
  let keys = 0;
  let values = 0;
  let rows = 0;
  for (let i = 0; i < ops.length; i++) {
    const letter = ops.charCodeAt(i);
    if (letter === 0x50 /* P */) {
      keys++;
      values++;
    } else if (letter === 0x47 /* G */ || letter === 0x44 /* D */) keys++;
    else if (letter === 0x52 /* R */) rows++;
    else return false;
  }
  let count = 1;
  for (const [name, expected] of [
    ["keys", keys],
    ["values", values],
    ["rows", rows],
  ] as const) {
    if (!Object.hasOwn(c, name)) {
      if (expected > 0) return false;
      continue;
    }
    const list = c[name];
    if (!Array.isArray(list) || list.length !== expected) return false;
    count++;
  }
  for (const name of ["w", "r"]) {
    if (!Object.hasOwn(c, name)) continue;
    const q = c[name];
    if (!Number.isInteger(q) || (q as number) < 1 || (q as number) > 64) return false;
    count++;
  }
  return Object.keys(c).length === count;
}
