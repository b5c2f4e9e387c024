/**
 * When a write counts as durable (`--fsync`), like Redis' appendfsync always / everysec / no:
 * - `always`: once it is fsynced; survives a process crash and an OS crash or power loss. Each
 *   write goes to the write-ahead log (as under `batch`), and the reply waits for an fdatasync of
 *   the log (LogSyncs: one at a time, shared by every write that arrived meanwhile, as Redis'
 *   appendfsync always shares one per event-loop turn); LMDB commits behind, as under `batch`.
 * - `batch`: once it is in the OS: each write also goes to a write-ahead log (WriteLog), which
 *   sync() hands to the OS with one write() before the reply, without waiting for LMDB; LMDB
 *   takes the writes of 20 ms in one commit (BatchWrites) and fsyncs it off the reply path (on
 *   the main thread still: lmdb-js' overlappingSync fsyncs inside the commit), and a restart
 *   replays the log. Survives a process crash; an OS crash or power loss may lose the
 *   writes since LMDB's last fsync (tens of milliseconds: the log is not fsynced), never
 *   corrupts, and keeps them in order (a prefix). Redis' appendfsync everysec, a shorter tail.
 * - `off`: at once; the commit follows within the event turn, and the OS writes it back when it
 *   likes (no fsync at all). A process crash may lose that last turn's writes; an OS crash may lose
 *   tens of seconds and can corrupt the data dir (LMDB without sync keeps no write order).
 */
export type SyncPolicy = "always" | "batch" | "off";
export const SYNC_POLICIES: readonly SyncPolicy[] = ["always", "batch", "off"];
