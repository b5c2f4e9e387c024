import {
  decodeCursor,
  effectivePageSize,
  encodeCursor,
  type GetAllReply,
  type GetAllRequest,
} from "@zkv/protocol";
import type { HandlerContext } from "./handler-context.js";

/** Room left in a GET_ALL reply for the envelope: `{"collection":[…],"cursor":"…","id":…}`. */
const PAGE_ENVELOPE_BYTES = 512;
/** What `"version":…,"expiresAt":…` adds to an entry at most (two 16-digit numbers and names). */
const VERSION_FIELDS_BYTES = 48;

type Page = Omit<GetAllReply, "id">;

/**
 * One GET_ALL page: at most the effective page size in entries and at most a message's worth of
 * bytes, the cursor included; a partial page carries the cursor to continue from. A page always
 * holds at least one entry when any remain, so paging makes progress even past a huge value (such
 * a lone entry is sent even if it and its cursor exceed the byte budget). With `versions`, each
 * entry carries its version and expiry: an export reads everything it keeps in this one pass.
 */
export function getAllPage(request: GetAllRequest, ctx: HandlerContext): Page {
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
  const maxEntries = effectivePageSize(request, ctx.limits);
  const budget = ctx.limits.maxMessageBytes - PAGE_ENVELOPE_BYTES;
  const versions = request.versions === true;
  const collection: Page["collection"] = [];
  let bytes = 0;
  for (const entry of ctx.store.scan(after)) {
    const keyBytes = Buffer.byteLength(JSON.stringify(entry.key));
    const size =
      keyBytes + Buffer.byteLength(JSON.stringify(entry.value)) + 20 + (versions ? VERSION_FIELDS_BYTES : 0);
    // An entry joins only if the page still fits with the cursor that would follow it (a long key
    // makes a cursor of several KiB), so whichever entry ends the page, its cursor has room. The
    // cursor is base64url of `{"v":1,"after":<key JSON>}`: bounded here, encoded only once at the end.
    const cursorBound = Math.ceil(((keyBytes + 16) * 4) / 3) + 4;
    if (collection.length > 0 && (collection.length >= maxEntries || bytes + size + cursorBound > budget)) {
      return { collection, cursor: encodeCursor(collection[collection.length - 1]!.key) };
    }
    collection.push(
      versions ? withVersion(entry.key, entry.value, ctx) : { key: entry.key, value: entry.value },
    );
    bytes += size;
  }
  return { collection };
}

/** The entry as scanned, with its version and expiry (scan and entry() see the same write). */
function withVersion(key: string, value: string, ctx: HandlerContext): Page["collection"][number] {
  const stored = ctx.store.entry(key);
  if (stored === undefined) return { key, value };
  return stored.expiresAt === undefined
    ? { key, value, version: stored.version }
    : { key, value, version: stored.version, expiresAt: stored.expiresAt };
}
