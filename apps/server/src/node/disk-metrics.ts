import { Counter, Gauge, type Registry } from "prom-client";
import type { DiskStats } from "../store/index.js";

/** A data dir's series (its write-ahead log and snapshots), read from the store at scrape time. */
export function registerDisk(stats: () => DiskStats, registers: Registry[]): void {
  const gauge = (name: string, help: string, read: (s: DiskStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(stats()));
      },
    });
  gauge(
    "zkv_wal_bytes",
    "Bytes written to the write-ahead log since the last snapshot began (the next begins past 64 MiB or the last snapshot's size)",
    (s) => s.logBytes,
  );
  gauge("zkv_snapshot_bytes", "Size of the last snapshot of the data dir", (s) => s.snapshotBytes);
  gauge(
    "zkv_snapshot_duration_seconds",
    "How long the last snapshot took, first slice to rename (requests are served between slices)",
    (s) => s.lastSnapshotSeconds,
  );
  gauge("zkv_snapshot_in_progress", "1 while a snapshot of the data dir is under way, else 0", (s) =>
    s.snapshotting ? 1 : 0,
  );
  new Counter({
    name: "zkv_snapshots_total",
    help: "Snapshots of the data dir finished since the node started (the one its start takes included)",
    registers,
    collect() {
      this.reset();
      this.inc(stats().snapshots);
    },
  });
}
