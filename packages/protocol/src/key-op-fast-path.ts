import { own } from "./own-fields.js";
import { isDeadline, isRequestId, isWellFormedText } from "./schemas/common.js";
import type { DeleteRequest, GetOneRequest, PutRequest } from "./schemas/key-ops.js";

/** The requests {@link fastKeyOp} decodes. */
export type KeyOpRequest = PutRequest | GetOneRequest | DeleteRequest;

/**
 * PUT, GET_ONE and DELETE in their plain form, checked by hand. zod's object parse costs about a
 * microsecond and several allocations per op, which a BATCH of 1000 pays 1000 times over; these
 * few type checks are what the schemas ask of such an op (a PUT's key and value also well-formed
 * UTF-16, as the schema asks of what is stored). Only an object whose every own field is
 * one of these ops' fields, with the right type, is decoded here, into exactly what the schema
 * would return; anything else (a wrong type, an unknown or newer field) returns undefined and
 * goes through the schema, which also words the error. A property test holds the two together.
 */
export function fastKeyOp(value: unknown): KeyOpRequest | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const op = own(fields, "op");
  const key = own(fields, "key");
  if (typeof key !== "string") return undefined;
  let count = 2;
  let request: KeyOpRequest;
  if (op === "PUT") {
    const v = own(fields, "value");
    // A lone surrogate goes to the schema, which refuses it and names the field. The checks are
    // native and return at once for one-byte (Latin-1) strings, which most keys and values are.
    if (typeof v !== "string" || !isWellFormedText(key) || !isWellFormedText(v)) return undefined;
    count++;
    request = { op, key, value: v };
  } else if (op === "GET_ONE" || op === "DELETE") {
    request = { op, key };
  } else {
    return undefined;
  }
  if (Object.hasOwn(fields, "asking")) {
    const asking = fields.asking;
    if (typeof asking !== "boolean") return undefined;
    request.asking = asking;
    count++;
  }
  if (op !== "GET_ONE" && Object.hasOwn(fields, "deadline")) {
    const deadline = fields.deadline;
    if (!isDeadline(deadline)) return undefined;
    (request as PutRequest | DeleteRequest).deadline = deadline;
    count++;
  }
  if (Object.hasOwn(fields, "id")) {
    const id = fields.id;
    if (!isRequestId(id)) return undefined;
    request.id = id;
    count++;
  }
  return Object.keys(fields).length === count ? request : undefined;
}
