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
  const withDeadline = deadline !== undefined && CARRIES_DEADLINE.has(request.op);
  // A putMany/getMany BATCH (up to 4000 entries, ~500 KB): the appended text is a cons string of
  // a slice of the JSON, which zeromq.js flattens into one more copy before encoding it. Made
  // with the id in one stringify instead, a 4000-PUT frame costs ~50 ns an entry less (~300
  // against ~350, in a loop); at 50 entries the spread costs ~10 ns an entry more.
  if (isLargeBatch(request))
    return JSON.stringify(withDeadline ? { ...request, deadline, id } : { ...request, id });
  const json = JSON.stringify(request);
  if (!withDeadline) return `${json.slice(0, -1)},"id":${id}}`;
  return `${json.slice(0, -1)},"deadline":${deadline},"id":${id}}`;
}

/**
 * The writes a node refuses once past their deadline (see the protocol's `deadline`): a late one
 * must never land after the writes its client made since it gave up on it.
 */
const CARRIES_DEADLINE: ReadonlySet<string> = new Set(["PUT", "DELETE", "BATCH"]);

/** Entries above which a BATCH's frame is made in one stringify (see requestFrame). */
const LARGE_BATCH = 1000;

function isLargeBatch(request: { readonly op: string }): boolean {
  if (request.op !== "BATCH") return false;
  const columns = (request as { columns?: { ops?: unknown } }).columns;
  return typeof columns?.ops === "string" && columns.ops.length > LARGE_BATCH;
}
