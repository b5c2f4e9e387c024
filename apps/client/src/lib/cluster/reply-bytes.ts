/**
 * The bytes a node's replies begin and end with, for readers of a reply whose shape is known in
 * advance (ok-reply.ts, values-reply.ts; the byte readers are @zkv/protocol's json-bytes).
 */

/** `{"done":`: how a node's reply to a BATCH in columns begins. */
export const DONE_PREFIX = Buffer.from('{"done":');
export const CLOSE = 0x7d; // }
