import { DEFAULT_LIMITS, type Limits } from "@zkv/protocol";
import type { HandlerContext } from "../../src/requests/handler.js";
import { MemoryStore } from "../../src/store/index.js";

/** A lone node's handler context ("node-1"), over an empty MemoryStore. */
export function context(limits: Limits = DEFAULT_LIMITS): HandlerContext {
  return { nodeId: "node-1", store: new MemoryStore(), limits };
}
