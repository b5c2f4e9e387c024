import { isAscii } from "node:buffer";
import { ErrorCode, ZkvError } from "./errors.js";

/** Result of {@link parseJsonSafe}: errors are values so hot paths never pay for exceptions. */
export type JsonParseResult = { ok: true; value: unknown } | { ok: false; error: ZkvError };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
/** `}`: how a JSON object ends. */
export const CLOSE_OBJECT = 0x7d;

/** Outcome of the nesting scan. */
type DepthVerdict = "ok" | "too-deep" | "unbalanced";

/**
 * One linear pass measuring bracket nesting, ignoring brackets inside strings.
 *
 * Why: untrusted input must not be able to make the parser (or anything that
 * later walks the value) recurse without bound. Strings are skipped with the
 * native `indexOf`, so a 1 MiB value costs almost nothing; backslash runs are
 * counted once each, so the scan stays linear even on adversarial escapes.
 * A closing bracket without an opener can only be invalid JSON, so it stops
 * the scan early rather than letting later openers hide behind a negative depth.
 */
function scanDepth(text: string, maxDepth: number): DepthVerdict {
  const length = text.length;
  let depth = 0;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipString(text, i + 1);
      continue;
    }
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > maxDepth) return "too-deep";
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
      if (depth < 0) return "unbalanced";
    }
    i++;
  }
  return "ok";
}

/**
 * Returns the index just past the closing quote of a string whose body starts
 * at `start`, or `text.length` when the string is unterminated (JSON.parse
 * will then reject the text).
 */
function skipString(text: string, start: number): number {
  let from = start;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return text.length;
    let backslash = quote - 1;
    while (backslash >= from && text.charCodeAt(backslash) === BACKSLASH) backslash--;
    if ((quote - 1 - backslash) % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** True when `text` holds at most `max` of `[` and `{` together, inside strings or not. */
function openersAtMost(text: string, max: number): boolean {
  let n = 0;
  for (let i = text.indexOf("["); i !== -1; i = text.indexOf("[", i + 1)) if (++n > max) return false;
  for (let i = text.indexOf("{"); i !== -1; i = text.indexOf("{", i + 1)) if (++n > max) return false;
  return true;
}

/**
 * `JSON.parse` for untrusted text: rejects nesting deeper than `maxDepth`
 * (BAD_JSON) before parsing, and turns syntax errors into BAD_JSON values.
 *
 * Why exported: the server, client and tooling all parse wire JSON and must
 * apply the same depth rule. Depth counts every `[` or `{`, so `{}` is 1 and
 * `{"a":[1]}` is 2. Note `JSON.parse` stores a `"__proto__"` key as an own
 * property, never as a prototype; callers must still copy only known fields
 * (the zod schemas do) before trusting the value.
 */
export function parseJsonSafe(text: string, maxDepth: number): JsonParseResult {
  // Most messages (a BATCH in columns, its reply) hold a handful of brackets around thousands of
  // strings: with at most maxDepth openers in the whole text no nesting can exceed it, and a text
  // JSON.parse accepts is balanced, so the scan could only say "ok". It then runs only to word a
  // refusal, as before. Counting openers is a few native searches; the scan steps string by string.
  if (openersAtMost(text, maxDepth)) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      // Refused: the scan below words the error exactly as without this path.
    }
  }
  const verdict = scanDepth(text, maxDepth);
  if (verdict === "too-deep") {
    return { ok: false, error: new ZkvError(ErrorCode.BAD_JSON, `JSON nested deeper than ${maxDepth}`) };
  }
  if (verdict === "unbalanced") {
    return { ok: false, error: new ZkvError(ErrorCode.BAD_JSON, "JSON has unbalanced brackets") };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (cause) {
    return { ok: false, error: new ZkvError(ErrorCode.BAD_JSON, "message is not valid JSON", { cause }) };
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes bytes as UTF-8, returning undefined on any invalid sequence.
 *
 * Why fatal: a lenient decoder would silently turn bad bytes into U+FFFD and
 * store keys the sender never wrote. `ignoreBOM` keeps a leading BOM as a
 * character, which JSON.parse then rejects, so the bytes mean exactly one thing.
 */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  // ASCII is its own UTF-8 and its own Latin-1: checked with SIMD and copied as one-byte
  // characters, it skips the strict decoder's per-call setup (every request and reply is ASCII
  // unless a key or value is not).
  if (bytes instanceof Buffer && isAscii(bytes)) return bytes.toString("latin1");
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
