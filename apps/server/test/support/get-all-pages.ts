import type { GetAllReply, Reply } from "@zkv/protocol";

/** The cursor as a GET_ALL field: none when there is none. */
export function withCursorField(cursor: string | undefined): { cursor?: string } {
  return cursor === undefined ? {} : { cursor };
}

/** The reply as a GET_ALL page; throws on an error reply. */
export function withCursor(reply: Reply): GetAllReply {
  if ("error" in reply) throw new Error(`unexpected error reply ${JSON.stringify(reply)}`);
  return reply as GetAllReply;
}
