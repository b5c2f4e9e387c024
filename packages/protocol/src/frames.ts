import { ErrorCode, ZkvError } from "./errors.js";
import { decodeUtf8, parseJsonSafe } from "./json.js";
import { PIECEWISE_BYTES } from "./json-bytes.js";
import { parseLargeBatch } from "./large-batch.js";
import type { Limits } from "./limits.js";

/** Result of {@link parseFrames}: the parsed JSON value, or the wire error explaining why not. */
export type FramesResult = { ok: true; value: unknown } | { ok: false; error: ZkvError };

/**
 * Frames → parsed JSON, applying the framing rules shared by requests and
 * replies in the cheapest order: frame count, byte size (before touching
 * the bytes), strict UTF-8, nesting depth, then one `JSON.parse` (or, for a
 * large BATCH in columns, its arrays a piece at a time: parseLargeBatch).
 *
 * Why shared: server and client must refuse exactly the same malformed
 * messages with exactly the same codes. Never throws.
 */
export function parseFrames(frames: readonly Uint8Array[] | Uint8Array, limits: Limits): FramesResult {
  const frame = isFrameList(frames) ? (frames.length === 1 ? frames[0] : undefined) : frames;
  if (frame === undefined) {
    return fail(ErrorCode.BAD_FRAMES, "message must have exactly one frame");
  }
  if (frame.byteLength === 0) {
    return fail(ErrorCode.BAD_FRAMES, "message frame is empty");
  }
  if (frame.byteLength > limits.maxMessageBytes) {
    return fail(ErrorCode.TOO_LARGE, `message exceeds ${limits.maxMessageBytes} bytes`);
  }
  if (frame.byteLength >= PIECEWISE_BYTES && frame instanceof Buffer) {
    // A large BATCH from zkv's own client (putMany's messages): its arrays read in pieces.
    const batch = parseLargeBatch(frame, limits.maxJsonDepth);
    if (batch !== undefined) return { ok: true, value: batch };
  }
  const text = decodeUtf8(frame);
  if (text === undefined) {
    return fail(ErrorCode.BAD_JSON, "message is not valid UTF-8");
  }
  return parseJsonSafe(text, limits.maxJsonDepth);
}

function isFrameList(frames: readonly Uint8Array[] | Uint8Array): frames is readonly Uint8Array[] {
  return Array.isArray(frames);
}

function fail(code: ErrorCode, message: string): FramesResult {
  return { ok: false, error: new ZkvError(code, message) };
}
