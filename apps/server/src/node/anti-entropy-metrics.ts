import { Counter, Gauge, type Registry } from "prom-client";
import type { AntiEntropyStats } from "../anti-entropy/anti-entropy.js";

/** The anti-entropy series, read from its counters at scrape time. */
export function registerAntiEntropy(stats: AntiEntropyStats, registers: Registry[]): void {
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter(
    "zkv_anti_entropy_keys_repaired_total",
    "Copies anti-entropy made good: newer copies applied here or acknowledged by the peer compared with",
    () => stats.keysRepaired,
  );
  counter(
    "zkv_anti_entropy_keys_different_total",
    "Keys anti-entropy found at different versions (or missing) on this node and a co-replica",
    () => stats.keysDifferent,
  );
  counter(
    "zkv_anti_entropy_ranges_compared_total",
    "Ranges (keys sharing one replica set) this node compared with a co-replica",
    () => stats.rangesCompared,
  );
  counter(
    "zkv_anti_entropy_bytes_total",
    "Approximate bytes (JSON) this node's comparisons exchanged with its peers, both ways",
    () => stats.bytes,
  );
  new Gauge({
    name: "zkv_anti_entropy_last_full_pass_timestamp_seconds",
    help: "When this node last had compared every range with every co-replica (Unix seconds; 0: never)",
    registers,
    collect() {
      this.set((stats.lastFullPass() ?? 0) / 1000);
    },
  });
}
