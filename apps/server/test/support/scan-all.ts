import type { Entry, Store } from "../../src/store/index.js";

/** Everything a scan yields, as [key, value] pairs. */
export function scanAll(store: Store, after?: string): [string, string][] {
  return [...store.scan(after)].map((e: Entry) => [e.key, e.value]);
}
