/**
 * When a write counts as durable (`--fsync`), like Redis' appendfsync always / everysec / no:
 * - `always`: once its commit is fsynced; survives a process crash and an OS crash or power loss.
 * - `batch`: once its commit is in the OS (written, not yet fsynced); LMDB fsyncs right behind
 *   each commit, in the background. Survives a process crash; an OS crash or power loss may lose
 *   the commits of the last fsync or so (milliseconds), never corrupts.
 * - `off`: at once; the commit follows within the event turn, and the OS writes it back when it
 *   likes (no fsync at all). A process crash may lose that last turn's writes; an OS crash may lose
 *   tens of seconds and can corrupt the data dir (LMDB without sync keeps no write order).
 */
export type SyncPolicy = "always" | "batch" | "off";
export const SYNC_POLICIES: readonly SyncPolicy[] = ["always", "batch", "off"];
