import { type BatchColumns, decodeBatchColumns, type Reply } from "@zkv/protocol";
import type { HandlerContext } from "./handler-context.js";

/** Answers one element of a BATCH as a request of its own (validation, routing, metrics included). */
export type ElementAnswer = (element: unknown, ctx: HandlerContext) => Reply | Promise<Reply>;

/** The BATCH element a P, G or D stands for, with the batch's quorum (see decodeBatchColumns). */
export function elementOf(letter: string, key: unknown, value: unknown, columns: BatchColumns): unknown {
  const [element] = decodeBatchColumns({
    ops: letter,
    keys: [key],
    ...(letter === "P" ? { values: [value] } : {}),
    ...(columns.w === undefined ? {} : { w: columns.w }),
    ...(columns.r === undefined ? {} : { r: columns.r }),
  });
  return element;
}
