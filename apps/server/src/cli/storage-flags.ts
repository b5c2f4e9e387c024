import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { DEFAULT_SYNC_POLICY, SYNC_POLICIES, type SyncPolicy } from "../store/index.js";
import { parseByteSize } from "./memory-flags.js";

/** The storage flags, as parsed. */
export interface StorageFlags {
  dataDir?: string;
  fsync?: SyncPolicy;
  /** The log's growth that starts a snapshot, bytes (default: the store's, 64 MiB). */
  snapshotEvery?: number;
}

/** --data-dir, --fsync and --snapshot-every (and their env vars ZKV_DATA_DIR, ZKV_FSYNC, ZKV_SNAPSHOT_EVERY). */
export function addStorageOptions(program: Command): Command {
  return program
    .addOption(
      new Option("--data-dir <dir>", "keep data on disk, node <id> in <dir>/<id> (default: memory only)").env(
        "ZKV_DATA_DIR",
      ),
    )
    .addOption(
      new Option("--fsync <policy>", "with --data-dir: when a write is acknowledged (default: batch)")
        .choices(SYNC_POLICIES)
        .env("ZKV_FSYNC"),
    )
    .addOption(
      new Option(
        "--snapshot-every <size>",
        "with --data-dir: snapshot once the write-ahead log has grown this much, or by the last snapshot's size if more (e.g. 64mb; default: 64mb)",
      )
        .argParser((raw: string) => parseByteSize(raw, "--snapshot-every"))
        .env("ZKV_SNAPSHOT_EVERY"),
    );
}

/** A usage problem with the storage flags, or undefined. */
export function checkStorageFlags(flags: StorageFlags): string | undefined {
  if (flags.fsync !== undefined && flags.dataDir === undefined) {
    return "--fsync needs --data-dir (without it data is kept in memory only)";
  }
  if (flags.snapshotEvery !== undefined && flags.dataDir === undefined) {
    return "--snapshot-every needs --data-dir (without it nothing is snapshotted)";
  }
  return undefined;
}

/** The flags a launcher passes on to each node it starts. */
export function storageNodeArgs(flags: StorageFlags): string[] {
  if (flags.dataDir === undefined) return [];
  const args = ["--data-dir", resolve(flags.dataDir), "--fsync", flags.fsync ?? DEFAULT_SYNC_POLICY];
  if (flags.snapshotEvery !== undefined) args.push("--snapshot-every", String(flags.snapshotEvery));
  return args;
}
