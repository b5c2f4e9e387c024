/**
 * The frame of one request: its JSON with `"id":id` appended, as a string.
 *
 * A string rather than a Buffer: zeromq.js hands a Buffer over 128 bytes to libzmq without
 * copying, and gives it back through an async handle that wakes the main thread once more per
 * message after the send (a PUT of a 100-byte value is ~160 bytes); a string is converted to
 * UTF-8 once and freed on libzmq's thread. The id is appended to the text rather than spread
 * into a copy of the request: an object made by spreading takes V8's slow path to gain one more
 * field, a new hidden class each time. Same bytes as `JSON.stringify({ ...request, id })`, or
 * with a write's `deadline` (ms since the epoch, when the sender gives up on it) before the id.
 */
export function requestFrame<R extends { readonly op: string }>(
  request: R,
  id: number,
  deadline?: number,
): string {
  const json = JSON.stringify(request);
  if (deadline === undefined || !CARRIES_DEADLINE.has(request.op)) return `${json.slice(0, -1)},"id":${id}}`;
  return `${json.slice(0, -1)},"deadline":${deadline},"id":${id}}`;
}

/**
 * The writes a node refuses once past their deadline (see the protocol's `deadline`): a late one
 * must never land after the writes its client made since it gave up on it.
 */
const CARRIES_DEADLINE: ReadonlySet<string> = new Set(["PUT", "DELETE", "BATCH"]);
