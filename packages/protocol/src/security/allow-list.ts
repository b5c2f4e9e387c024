import { CurveKeyError, parseCurveKey } from "./curve-key.js";

/**
 * Parses an allow-list of client public keys: one Z85 key a line; blank lines and `#` comments
 * are ignored. A comment starts a line or follows whitespace, because `#` is itself a Z85 digit. Any other malformed line fails the whole list, with
 * its line number: a typo must not silently lock a client out or, worse, be read as something else.
 */
export function parseAllowList(text: string, source: string): Set<string> {
  const keys = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const content = line.replace(/(^|\s)#.*$/, "").trim();
    if (content === "") continue;
    try {
      keys.add(parseCurveKey(content, source));
    } catch (err) {
      throw new CurveKeyError(`${source} line ${i + 1}`, (err as Error).message.replace(/^.*?: /, ""));
    }
  }
  return keys;
}
