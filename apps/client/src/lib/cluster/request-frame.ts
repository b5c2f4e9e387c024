/**
 * The frame of one request: its JSON with `"id":id` appended, as a string.
 *
 * A string rather than a Buffer: zeromq.js hands a Buffer over 128 bytes to libzmq without
 * copying, and gives it back through an async handle that wakes the main thread once more per
 * message after the send (a PUT of a 100-byte value is ~160 bytes); a string is converted to
 * UTF-8 once and freed on libzmq's thread. The id is appended to the text rather than spread
 * into a copy of the request: an object made by spreading takes V8's slow path to gain one more
 * field, a new hidden class each time. Same bytes as `JSON.stringify({ ...request, id })`.
 */
export function requestFrame<R extends { readonly op: string }>(request: R, id: number): string {
  const json = JSON.stringify(request);
  return `${json.slice(0, -1)},"id":${id}}`;
}
