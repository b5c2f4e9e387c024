import { InvalidSettingError } from "./errors.js";
import { parseKvJson } from "./kv-json.js";

/** The KV key holding the cluster's replication settings, e.g. `{"n":3,"w":2,"r":2}`. */
export const REPLICATION_KEY = "zkv/replication";

/**
 * How many nodes hold each key (`n`, its preference list), and the default numbers of them a
 * write must reach (`w`) and a read must hear from (`r`) before the reply. The defaults always
 * overlap (r + w > n), so a read sees the latest acknowledged write; a client may ask for less
 * per request, and then gets less.
 */
export interface Replication {
  readonly n: number;
  readonly w: number;
  readonly r: number;
}

/** One copy of each key: the seed's sharding, and what a cluster without the key gets. */
export const NO_REPLICATION: Replication = { n: 1, w: 1, r: 1 };

/** `n` replicas with majority quorums (n = 3: w = r = 2). */
export function replication(n: number, w?: number, r?: number): Replication {
  const majority = Math.floor(n / 2) + 1;
  const settings = { n, w: w ?? majority, r: r ?? majority };
  const problem = checkReplication(settings);
  if (problem) throw new InvalidSettingError(REPLICATION_KEY, JSON.stringify(settings), problem);
  return settings;
}

/** The stored JSON → settings; InvalidSettingError when malformed or when r + w ≤ n. */
export function parseReplication(raw: string): Replication {
  const json = parseKvJson(REPLICATION_KEY, raw, 'JSON such as {"n":3,"w":2,"r":2}');
  const { n, w, r } = (json ?? {}) as Partial<Record<"n" | "w" | "r", unknown>>;
  const settings = { n, w, r } as Replication;
  const problem = checkReplication(settings);
  if (problem) throw new InvalidSettingError(REPLICATION_KEY, raw.slice(0, 80), problem);
  return settings;
}

function checkReplication({ n, w, r }: Replication): string | undefined {
  const int = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 1;
  if (!int(n) || !int(w) || !int(r)) return "positive integers n, w and r";
  if (w > n || r > n) return "w and r no larger than n";
  if (r + w <= n) return "r + w > n, so reads overlap acknowledged writes";
  return undefined;
}
