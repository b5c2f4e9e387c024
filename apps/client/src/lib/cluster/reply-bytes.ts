/**
 * How a node's reply to a BATCH in columns begins, for the readers of such replies from their
 * bytes (ok-reply.ts, values-reply.ts; the byte readers are @zkv/protocol's json-bytes).
 */
export const DONE_PREFIX = Buffer.from('{"done":');
