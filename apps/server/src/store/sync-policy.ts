/**
 * When a write counts as durable (`--fsync`), like Redis' appendfsync always / everysec / no:
 * - `always`: once it is fsynced; survives a process crash and an OS crash or power loss. Each
 *   write goes to the write-ahead log, and the reply waits for an fdatasync of the log (LogSyncs:
 *   one at a time, shared by every write that arrived meanwhile, as Redis' appendfsync always
 *   shares one per event-loop turn).
 * - `batch`: once it is in the OS: each write goes to the write-ahead log, which sync() hands to
 *   the OS with one write() before the reply, and which is fdatasynced in the background at most
 *   20 ms later (LogWriter). Survives a process crash; an OS crash or power loss may lose the
 *   writes of those last milliseconds, never corrupts, and keeps them in order (a prefix).
 *   Redis' appendfsync everysec, with a shorter tail.
 * - `off`: once it is in the OS, as under `batch`, but nothing is ever fsynced but the snapshots:
 *   an OS crash may lose whatever the OS had not written back yet (tens of seconds).
 * Under every policy the log is cut short by snapshots (Checkpoints), fsynced before they count.
 */
export type SyncPolicy = "always" | "batch" | "off";
export const SYNC_POLICIES: readonly SyncPolicy[] = ["always", "batch", "off"];
