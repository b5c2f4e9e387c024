import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  fsync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { DataDirError } from "./errors.js";
import { LogBuffer } from "./log-buffer.js";
import { syncDir } from "./sync-dir.js";
import {
  FRAME_HEADER,
  FRAME_START,
  type LoggedWrite,
  scanFrames,
  sealFrame,
  visitWrites,
} from "./write-log-frames.js";

/** A data dir's snapshot: every entry and hint as of a flush number of its write-ahead log. */
export const SNAPSHOT_FILE = "snapshot";
/** Where a snapshot is written until it is whole and fsynced; renamed over SNAPSHOT_FILE then. */
const WRITING_FILE = "snapshot.writing";
/**
 * The file's first bytes: what it is, and its format (the last byte). Format 2 may hold `slab
 * run` writes (slab-runs.ts), which format 1 (written before them, still read) never does; a
 * node that knows only format 1 refuses a format 2 file rather than misreading it.
 */
const MAGIC = Buffer.from("ZKVSNAP\x02", "latin1");
/** The formats this node reads: MAGIC's first bytes, then one of these. */
const FORMATS_READ = [1, 2];
/** MAGIC, then the log's flush number the snapshot covers (f64 LE). */
const HEADER_BYTES = MAGIC.length + 8;
/** Frames are written once they hold this many bytes. */
const FRAME_BYTES = 512 * 1024;

/**
 * Writes a snapshot: its entries are laid into `buffer` (LogBuffer's append and appendValue, the
 * write-ahead log's own encoding), and go to the file in frames with a CRC each, numbered from 1,
 * then an empty frame that says the snapshot is whole. finish() fsyncs it and renames it into
 * place, so a snapshot file is either the last one finished or the one before: never half.
 */
export class SnapshotWriter {
  readonly buffer = new LogBuffer();
  readonly #dir: string;
  readonly #fd: number;
  #at = 0;
  #frames = 0;
  #entries = 0;
  #done = false;

  private constructor(dir: string, applied: number) {
    this.#dir = dir;
    this.#fd = openSync(
      join(dir, WRITING_FILE),
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
      0o644,
    );
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeDoubleLE(applied, MAGIC.length);
    this.#write(header);
  }

  /** Starts a snapshot of the state every write up to the log's flush number `applied` left (and maybe later ones). */
  static create(dir: string, applied: number): SnapshotWriter {
    return new SnapshotWriter(dir, applied);
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.#at;
  }

  /** Counts an entry laid into `buffer`; writes the frame once it is large enough. */
  added(): void {
    if (++this.#entries % 256 === 0) {
      const open = this.buffer.openFrame();
      if (open !== undefined && open.length >= FRAME_BYTES) this.flush();
    }
  }

  /** Writes what `buffer` holds as one frame. */
  flush(): void {
    const frame = this.buffer.openFrame();
    if (frame === undefined) return;
    sealFrame(frame, ++this.#frames, 0);
    this.#write(frame);
    this.buffer.dropFrame();
  }

  /** Ends the snapshot, fsyncs it and puts it in place of the last one (and fsyncs the dir). */
  async finish(): Promise<void> {
    this.flush();
    const end = Buffer.alloc(FRAME_START);
    sealFrame(end, ++this.#frames, 0);
    this.#write(end);
    await new Promise<void>((resolve, reject) => fsync(this.#fd, (err) => (err ? reject(err) : resolve())));
    this.#close();
    renameSync(join(this.#dir, WRITING_FILE), join(this.#dir, SNAPSHOT_FILE));
    syncDir(this.#dir);
  }

  /** Drops an unfinished snapshot (the last finished one stays); idempotent. */
  abort(): void {
    if (this.#done) return;
    this.#close();
    rmSync(join(this.#dir, WRITING_FILE), { force: true });
  }

  #close(): void {
    if (this.#done) return;
    this.#done = true;
    closeSync(this.#fd);
  }

  #write(bytes: Buffer): void {
    for (let done = 0; done < bytes.length; ) {
      done += writeSync(this.#fd, bytes, done, bytes.length - done, this.#at + done);
    }
    this.#at += bytes.length;
  }
}

/**
 * Reads the snapshot in `dir`, if there is one, showing `visit` each of its writes in order, and
 * returns the log's flush number it covers; undefined without a snapshot. A snapshot that is not
 * whole, or fails a CRC, is refused (DATA_DIR_UNUSABLE): only a damaged disk makes one, and
 * serving without it would lose every key it holds.
 */
export function readSnapshot(dir: string, visit: (write: LoggedWrite) => void): number | undefined {
  rmSync(join(dir, WRITING_FILE), { force: true }); // an unfinished one, from a crash
  const path = join(dir, SNAPSHOT_FILE);
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, constants.O_RDONLY);
  try {
    const size = fstatSync(fd).size;
    const header = readAt(fd, 0, HEADER_BYTES, size);
    const kind = MAGIC.subarray(0, MAGIC.length - 1);
    if (
      header === undefined ||
      !header.subarray(0, kind.length).equals(kind) ||
      !FORMATS_READ.includes(header[kind.length]!)
    ) {
      throw damaged(dir, "not a zkv snapshot of a format this node reads");
    }
    const applied = header.readDoubleLE(MAGIC.length);
    let at = HEADER_BYTES;
    for (let number = 1; ; number++) {
      const head = readAt(fd, at, FRAME_HEADER, size);
      if (head === undefined) throw damaged(dir, `it ends at byte ${at}, before its last frame`);
      const frame = readAt(fd, at, FRAME_HEADER + head.readUInt32LE(0), size);
      const [span] = frame === undefined ? [] : scanFrames(frame);
      if (span === undefined || span.flush !== number) throw damaged(dir, `frame ${number} is corrupt`);
      if (span.from === span.end) return applied; // the empty frame that ends it
      visitWrites(frame!, span.from, span.end, visit);
      at += frame!.length;
    }
  } finally {
    closeSync(fd);
  }
}

/** `length` bytes of the file from `at`, or undefined when it ends before. */
function readAt(fd: number, at: number, length: number, size: number): Buffer | undefined {
  if (at + length > size) return undefined;
  const bytes = Buffer.allocUnsafe(length);
  for (let done = 0; done < length; ) {
    const n = readSync(fd, bytes, done, length - done, at + done);
    if (n === 0) return undefined;
    done += n;
  }
  return bytes;
}

function damaged(dir: string, why: string): DataDirError {
  return new DataDirError("DATA_DIR_UNUSABLE", dir, `the snapshot in ${dir} is damaged: ${why}`);
}
