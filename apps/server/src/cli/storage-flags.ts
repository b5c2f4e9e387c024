import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { DEFAULT_SYNC_POLICY, SYNC_POLICIES, type SyncPolicy } from "../store/index.js";

/** The storage flags, as parsed. */
export interface StorageFlags {
  dataDir?: string;
  fsync?: SyncPolicy;
}

/** --data-dir and --fsync (and their env vars ZKV_DATA_DIR, ZKV_FSYNC). */
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
    );
}

/** A usage problem with the storage flags, or undefined. */
export function checkStorageFlags(flags: StorageFlags): string | undefined {
  if (flags.fsync !== undefined && flags.dataDir === undefined) {
    return "--fsync needs --data-dir (without it data is kept in memory only)";
  }
  return undefined;
}

/** The flags a launcher passes on to each node it starts. */
export function storageNodeArgs(flags: StorageFlags): string[] {
  if (flags.dataDir === undefined) return [];
  return ["--data-dir", resolve(flags.dataDir), "--fsync", flags.fsync ?? DEFAULT_SYNC_POLICY];
}
