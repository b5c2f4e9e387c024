import { z } from "zod";
import { OptionalDeadlineSchema as deadline, OptionalRequestIdSchema as id } from "./common.js";

/** Most operations one BATCH may carry. */
export const MAX_BATCH_OPS = 10_000;

/**
 * The letters of BATCH columns: one per operation, in order. P, G and D are a PUT, GET_ONE or
 * DELETE in their plain form (a key, and a PUT's value); R is any key operation as a whole
 * object, taken from `rows` in order (one with options: a TTL, a condition, `withVersion`, its own
 * quorum, `asking`).
 */
export const COLUMN_OP_LETTERS = /^[PGDR]*$/;

const quorum = z.number().int().min(1).max(64).optional();

/**
 * A BATCH in columns, what zkv's own client sends: the same operations as `ops`, without an
 * object per operation. `keys` has one entry per P, G or D; `values` one per P; `rows` one per R.
 * `w` and `r` are the quorums of every P and D (w) and every G (r), as if each carried them.
 */
export const BatchColumnsSchema = z
  .object({
    ops: z.string().min(1).max(MAX_BATCH_OPS).regex(COLUMN_OP_LETTERS, "letters P, G, D or R only"),
    keys: z.array(z.unknown()).max(MAX_BATCH_OPS).optional(),
    values: z.array(z.unknown()).max(MAX_BATCH_OPS).optional(),
    rows: z.array(z.unknown()).max(MAX_BATCH_OPS).optional(),
    w: quorum,
    r: quorum,
  })
  .refine((c) => (c.keys?.length ?? 0) === countLetters(c.ops, "PGD"), {
    message: "one key for each P, G and D of ops",
    path: ["keys"],
  })
  .refine((c) => (c.values?.length ?? 0) === countLetters(c.ops, "P"), {
    message: "one value for each P of ops",
    path: ["values"],
  })
  .refine((c) => (c.rows?.length ?? 0) === countLetters(c.ops, "R"), {
    message: "one row for each R of ops",
    path: ["rows"],
  });

/** How many characters of `ops` are among `letters`. */
export function countLetters(ops: string, letters: string): number {
  let n = 0;
  for (let i = 0; i < ops.length; i++) if (letters.includes(ops[i]!)) n++;
  return n;
}

/**
 * BATCH carries many key operations (PUT, GET_ONE, DELETE, in the seed's own forms) in one
 * message: what lets a client turn thousands of concurrent calls into a few round trips. Each
 * element is validated on its own, so one bad element gets its own error and never fails the
 * others. Elements are applied in order, so two writes of one key in a batch land in order.
 * The operations come either as `ops`, one object each, or as `columns` (BatchColumnsSchema).
 */
export const BatchRequestSchema = z
  .object({
    op: z.literal("BATCH"),
    ops: z.array(z.unknown()).min(1).max(MAX_BATCH_OPS).optional(),
    columns: BatchColumnsSchema.optional(),
    deadline,
    id,
  })
  .refine((r) => (r.ops === undefined) !== (r.columns === undefined), {
    message: "give ops or columns (exactly one)",
    path: ["ops"],
  });

/**
 * Answer to BATCH with `ops`: one result per element, in order, each the reply that element would
 * have got on its own (without `id`), errors included.
 */
export const BatchReplySchema = z.object({
  // Elements are not re-validated here: a client reads each one as the reply of its own op, and a
  // per-element schema pass was a large share of a client's CPU per batch.
  results: z.array(z.unknown()),
  id,
});

/**
 * Answer to BATCH with `columns`, small when every operation succeeded: `done` counts the
 * operations answered; `values` has one entry per G (the value, or null when the key does not
 * exist or the G failed), `deleted` one per D (whether the key existed), `rows` one reply per R
 * (the reply it would have got on its own), and `errors` lists every P, G or D that failed, by
 * its index in `ops`, as the error reply it would have got on its own. A G whose key does not
 * exist is a null value, not an error. Absent arrays are empty.
 */
export const BatchColumnsReplySchema = z.object({
  done: z.number().int().nonnegative(),
  values: z.array(z.unknown()).optional(),
  deleted: z.array(z.unknown()).optional(),
  rows: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
  id,
});

export type BatchRequest = z.infer<typeof BatchRequestSchema>;
export type BatchColumns = z.infer<typeof BatchColumnsSchema>;
export type BatchReply = z.infer<typeof BatchReplySchema>;
export type BatchColumnsReply = z.infer<typeof BatchColumnsReplySchema>;
