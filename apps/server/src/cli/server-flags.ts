import type { CurveFlags } from "@zkv/protocol/cli";
import type { LaunchFlags } from "../launcher/launch-placement.js";
import type { StorageFlags } from "./storage-flags.js";

/** The server command line's flags, as commander parses them. */
export interface ServerFlags extends CurveFlags, StorageFlags, LaunchFlags {
  nodes?: number;
  nodeId?: string;
  port?: number;
  advertise?: string;
  weight: number;
  ttl: number;
  metricsPort?: number;
  /** --max-memory, in bytes: each node's budget for its keys and values. */
  maxMemory?: number;
  /** --client-output-limit, in bytes: replies held for one client that does not read them. */
  clientOutputLimit?: number;
  /** --anti-entropy-interval, in seconds: pause between background anti-entropy passes; 0: off. */
  antiEntropyInterval?: number;
  /** --bootstrap-give-up, in seconds: how long a bootstrapping node waits for a replica that makes no progress. */
  bootstrapGiveUp?: number;
  logLevel: string;
}

/**
 * Resolves on the first SIGINT or SIGTERM. Later signals are absorbed: on Ctrl-C a terminal
 * signals the whole process group and the launcher then sends SIGTERM too, and neither may cut
 * a clean shutdown short (the launcher escalates to SIGKILL itself after a grace period).
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    const on = (signal: NodeJS.Signals) => {
      if (first === undefined) {
        first = signal;
        resolve(signal);
      }
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}
