import { z } from "zod";
import { RequestIdSchema } from "./common.js";

/** Most operations one BATCH may carry. */
export const MAX_BATCH_OPS = 10_000;

/**
 * BATCH carries many key operations (PUT, GET_ONE, DELETE, in the seed's own forms) in one
 * message: what lets a client turn thousands of concurrent calls into a few round trips. Each
 * element is validated on its own, so one bad element gets its own error and never fails the
 * others. Elements are applied in order, so two writes of one key in a batch land in order.
 */
export const BatchRequestSchema = z.object({
  op: z.literal("BATCH"),
  ops: z.array(z.unknown()).min(1).max(MAX_BATCH_OPS),
  id: RequestIdSchema.optional(),
});

/**
 * Answer to BATCH: one result per element, in order, each the reply that element would have got
 * on its own (without `id`), errors included.
 */
export const BatchReplySchema = z.object({
  // Elements are not re-validated here: a client reads each one as the reply of its own op, and a
  // per-element schema pass was a large share of a client's CPU per batch.
  results: z.array(z.unknown()),
  id: RequestIdSchema.optional(),
});

export type BatchRequest = z.infer<typeof BatchRequestSchema>;
export type BatchReply = z.infer<typeof BatchReplySchema>;
