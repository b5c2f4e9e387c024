import type { LogBuffer } from "./log-buffer.js";
import { RecordFormatError } from "./record.js";
import { HEADER_BYTES, KEY, type RawBuffer, readText, SIZE, textBytes, VALUE } from "./slab-record.js";
import { SLAB_RUN_TABLE, WRITE_FIXED } from "./write-log-frames.js";

/** A run is laid once it holds this many bytes of records (a snapshot's frames are ~512 KiB). */
const RUN_BYTES = 128 * 1024;

/**
 * Lays a snapshot's entries as runs of SlabTable records (slab-record.ts), copied as they lie in
 * the arena: records that sit end to end in one chunk go as one write of the `slab run` table,
 * `count` (u32), each record's version (f64), then the records' bytes, copied in one call. A
 * million entries loaded in order lie end to end, so a snapshot costs a few copies of 128 KiB and
 * a version per entry, where laying each entry as the log does (its key encoded again, its header
 * written field by field, its value copied by a call into C++ of its own) cost ~0.3 µs an entry
 * on the node's main thread. The records' ids are this process's and are ignored when read.
 *
 * Call flush() before the records may move: at the end of each synchronous slice.
 */
export class SlabRunWriter {
  #chunk: RawBuffer | undefined;
  #from = 0;
  #end = 0;
  readonly #versions: number[] = [];

  constructor(private readonly buffer: LogBuffer) {}

  /** Adds the record at `offset` of `chunk`, of entry version `version`. */
  add(chunk: RawBuffer, offset: number, version: number): void {
    if (chunk !== this.#chunk || offset !== this.#end || this.#end - this.#from >= RUN_BYTES) {
      this.flush();
      this.#chunk = chunk;
      this.#from = offset;
      this.#end = offset;
    }
    this.#end += chunk.readUInt32LE(offset + 4 * SIZE);
    this.#versions.push(version);
  }

  /** Lays the run gathered so far into the buffer. */
  flush(): void {
    const count = this.#versions.length;
    if (count === 0) return;
    const bytes = this.#end - this.#from;
    const length = 4 + 8 * count + bytes;
    const out = this.buffer.reserve(WRITE_FIXED + length);
    let at = this.buffer.end;
    out[at] = SLAB_RUN_TABLE;
    out.writeUInt32LE(0, at + 1); // no key
    out.writeInt32LE(length, at + 5);
    at = out.writeUInt32LE(count, at + WRITE_FIXED);
    for (const v of this.#versions) at = out.writeDoubleLE(v, at);
    this.#chunk!.copy(out, at, this.#from, this.#end);
    this.buffer.extend(at + bytes);
    this.#versions.length = 0;
    this.#chunk = undefined;
  }
}

/**
 * Shows `visit` each entry of a `slab run` write's record, in order. Throws RecordFormatError
 * when the record does not add up (its frame's CRC held, so only a bug makes one).
 */
export function visitSlabRun(
  record: Buffer,
  visit: (key: string, value: string, version: number) => void,
): void {
  const raw = record as RawBuffer;
  if (record.length < 4) throw new RecordFormatError("a slab run shorter than its count");
  const count = record.readUInt32LE(0);
  let at = 4 + 8 * count;
  if (at > record.length) throw new RecordFormatError("a slab run shorter than its versions");
  for (let i = 0; i < count; i++) {
    if (at + HEADER_BYTES > record.length) throw new RecordFormatError("a slab run ends inside a record");
    const keyWord = record.readUInt32LE(at + 4 * KEY);
    const valueWord = record.readUInt32LE(at + 4 * VALUE);
    const size = record.readUInt32LE(at + 4 * SIZE);
    const keyAt = at + HEADER_BYTES;
    const valueAt = keyAt + textBytes(keyWord);
    if (size < HEADER_BYTES || at + size > record.length || valueAt + textBytes(valueWord) > at + size) {
      throw new RecordFormatError("a slab run's record does not add up");
    }
    visit(readText(raw, keyWord, keyAt), readText(raw, valueWord, valueAt), record.readDoubleLE(4 + 8 * i));
    at += size;
  }
  if (at !== record.length) throw new RecordFormatError("a slab run longer than its records");
}

/** The key of the record at `offset`. */
export function recordKey(chunk: RawBuffer, offset: number): string {
  return readText(chunk, chunk.readUInt32LE(offset + 4 * KEY), offset + HEADER_BYTES);
}

/** The value of the record at `offset`. */
export function recordValue(chunk: RawBuffer, offset: number): string {
  const keyWord = chunk.readUInt32LE(offset + 4 * KEY);
  return readText(chunk, chunk.readUInt32LE(offset + 4 * VALUE), offset + HEADER_BYTES + textBytes(keyWord));
}
