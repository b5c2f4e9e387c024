import { Arena, type ChunkSizes, DEFAULT_CHUNK_SIZES } from "./arena.js";
import { SlabIndex } from "./slab-index.js";
import {
  HEADER_BYTES,
  ID,
  isAscii,
  KEY,
  type RawBuffer,
  readText,
  recordBytes,
  SIZE,
  textBytes,
  textIs,
  unitsWord,
  VALUE,
  writeText,
} from "./slab-record.js";

/**
 * A hash table from string keys to a value and a version, holding keys and values outside the
 * V8 heap: MemoryStore's storage. Each entry is a record in an Arena (slab-record.ts) and an id
 * indexing typed arrays (the key's hash, where the record is, the version); a SlabIndex maps
 * hashes to ids. The GC sees a few dozen objects whatever the number of keys, and a key costs its
 * bytes plus ~45.
 * Keys hash with a per-table random seed, so no fixed set of keys collides on every node.
 */
export class SlabTable {
  readonly #arena: Arena;
  readonly #seed = (Math.random() * 0x100000000) >>> 0;
  readonly #index = new SlabIndex();
  #hashes = new Uint32Array(8);
  /**
   * Where id's record is, side by side (one cache line, not two, per lookup at a million keys):
   * its chunk at 2·id (-1 for an id not in use) and its offset in the chunk at 2·id + 1.
   */
  #places = new Int32Array(16).fill(-1);
  #versions = new Float64Array(8);
  readonly #freeIds: number[] = [];
  #nextId = 0;
  #size = 0;
  /** Set by #hash: whether the key hashed last (#lastKey) is all ASCII. */
  #ascii = true;
  /** The key hashed last and its hash: insert() after find()'s miss does not hash it again. */
  #lastKey = "";
  #lastHash = 0;
  /** The empty bucket that find() of #lastKey stopped at (-1: it found the key, or the index changed since). */
  #lastBucket = -1;

  /** `chunks`: the arena's chunk sizes (tests make them small, to compact often). */
  constructor(chunks: ChunkSizes = DEFAULT_CHUNK_SIZES) {
    this.#arena = new Arena(chunks);
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes the table holds outside the V8 heap. */
  get externalBytes(): number {
    return this.#arena.heldBytes;
  }

  /** The entry's id, or -1 when the key is not held. */
  find(key: string): number {
    const h = this.#hash(key);
    this.#lastKey = key;
    this.#lastHash = h;
    const index = this.#index.buckets;
    const mask = this.#index.mask;
    const tag = h & ~mask;
    this.#lastBucket = -1;
    for (let b = h & mask; ; b = (b + 1) & mask) {
      const e = index[b]!;
      if (e === 0) {
        this.#lastBucket = b;
        return -1;
      }
      if ((e & ~mask) === tag && this.#keyIs((e & mask) - 1, key)) return (e & mask) - 1;
    }
  }

  /** The UTF-8 length of `key`: its length when it is the key hashed last and all ASCII (no second pass). */
  keyBytes(key: string): number {
    return key === this.#lastKey && this.#ascii ? key.length : Buffer.byteLength(key);
  }

  /** Adds `key`, which must not be held, with its value (`utf8Bytes` long in UTF-8); returns its id. */
  insert(key: string, value: string, utf8Bytes: number, version: number): number {
    const missed = key === this.#lastKey;
    const h = missed ? this.#lastHash : this.#hash(key);
    // #ascii is now `key`'s: so is the rest of what describes the key hashed last.
    this.#lastKey = key;
    this.#lastHash = h;
    // After find()'s miss, the bucket it stopped at is where the key goes: no second probe.
    let bucket = missed ? this.#lastBucket : -1;
    this.#lastBucket = -1;
    if (this.#index.tooFull(this.#size + 1)) {
      this.#index.grow(this.#hashes);
      bucket = -1;
    }
    const id = this.#freeIds.pop() ?? this.#newId();
    this.#hashes[id] = h;
    this.#versions[id] = version;
    if (bucket >= 0) this.#index.placeAt(bucket, h, id);
    else this.#index.place(h, id);
    this.#size++;
    const keyWord = unitsWord(key, this.#ascii);
    const valueWord = unitsWord(value, utf8Bytes === value.length);
    const bytes = this.#record(id, keyWord, valueWord, recordBytes(keyWord, valueWord));
    const at = this.#places[2 * id + 1]! + HEADER_BYTES;
    writeText(bytes, key, keyWord, at);
    writeText(bytes, value, valueWord, at + textBytes(keyWord));
    this.#compactSparse();
    return id;
  }

  /** Replaces the value of entry `id`, in place when its record has room. */
  update(id: number, value: string, utf8Bytes: number, version: number): void {
    this.#versions[id] = version;
    const c = this.#places[2 * id]!;
    const offset = this.#places[2 * id + 1]!;
    const words = this.#arena.words[c]!;
    const w = offset >>> 2;
    const keyWord = words[w + KEY]!;
    const valueWord = unitsWord(value, utf8Bytes === value.length);
    const oldSize = words[w + SIZE]!;
    const size = recordBytes(keyWord, valueWord);
    const from = this.#arena.bytes[c] as RawBuffer;
    if (size <= oldSize) {
      words[w + VALUE] = valueWord;
      writeText(from, value, valueWord, offset + HEADER_BYTES + textBytes(keyWord));
      return;
    }
    const to = this.#record(id, keyWord, valueWord, size);
    const at = this.#places[2 * id + 1]! + HEADER_BYTES;
    to.set(from.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + textBytes(keyWord)), at);
    writeText(to, value, valueWord, at + textBytes(keyWord));
    this.#arena.free(c, oldSize);
    this.#compactSparse();
  }

  /** Removes entry `id`; its id is reused. */
  remove(id: number): void {
    this.#index.remove(id, this.#hashes);
    this.#lastBucket = -1;
    const c = this.#places[2 * id]!;
    this.#arena.free(c, this.#arena.words[c]![(this.#places[2 * id + 1]! >>> 2) + SIZE]!);
    this.#places[2 * id] = -1;
    this.#freeIds.push(id);
    this.#size--;
    this.#compactSparse();
  }

  versionOf(id: number): number {
    return this.#versions[id]!;
  }

  valueOf(id: number): string {
    const c = this.#places[2 * id]!;
    const offset = this.#places[2 * id + 1]!;
    const words = this.#arena.words[c]!;
    const at = offset + HEADER_BYTES + textBytes(words[(offset >>> 2) + KEY]!);
    return readText(this.#arena.bytes[c] as RawBuffer, words[(offset >>> 2) + VALUE]!, at);
  }

  /** The value's length in UTF-8 (for a store's byte count). */
  valueBytesOf(id: number): number {
    const valueWord = this.#arena.words[this.#places[2 * id]!]![(this.#places[2 * id + 1]! >>> 2) + VALUE]!;
    return isAscii(valueWord) ? valueWord : Buffer.byteLength(this.valueOf(id));
  }

  keyOf(id: number): string {
    const c = this.#places[2 * id]!;
    const offset = this.#places[2 * id + 1]!;
    const keyWord = this.#arena.words[c]![(offset >>> 2) + KEY]!;
    return readText(this.#arena.bytes[c] as RawBuffer, keyWord, offset + HEADER_BYTES);
  }

  /** One past the highest id ever handed out: ids in use are below it. */
  get idLimit(): number {
    return this.#nextId;
  }

  /** The chunk entry `id`'s record lies in (its layout: slab-record.ts), for copying it out whole. */
  chunkOf(id: number): RawBuffer {
    return this.#arena.bytes[this.#places[2 * id]!] as RawBuffer;
  }

  /** Where in chunkOf(id) the record starts. */
  offsetOf(id: number): number {
    return this.#places[2 * id + 1]!;
  }

  /** Whether `id` (below idLimit) is an entry's. */
  inUse(id: number): boolean {
    return this.#places[2 * id]! >= 0;
  }

  /** The ids in use. One inserted while the iteration is paused may be visited or not. */
  *ids(): Iterable<number> {
    for (let id = 0; id < this.#nextId; id++) if (this.#places[2 * id]! >= 0) yield id;
  }

  #keyIs(id: number, key: string): boolean {
    const c = this.#places[2 * id]!;
    const offset = this.#places[2 * id + 1]!;
    const keyWord = this.#arena.words[c]![(offset >>> 2) + KEY]!;
    return textIs(this.#arena.bytes[c]!, keyWord, offset + HEADER_BYTES, key);
  }

  /** Reserves a record for entry `id` and writes its header; returns the chunk (texts go after the header). */
  #record(id: number, keyWord: number, valueWord: number, size: number): RawBuffer {
    const arena = this.#arena;
    arena.alloc(size);
    const words = arena.words[arena.chunk]!;
    const w = arena.offset >>> 2;
    words[w + ID] = id;
    words[w + KEY] = keyWord;
    words[w + VALUE] = valueWord;
    words[w + SIZE] = size;
    this.#places[2 * id] = arena.chunk;
    this.#places[2 * id + 1] = arena.offset;
    return arena.bytes[arena.chunk] as RawBuffer;
  }

  /** FNV-1a over the UTF-16 code units from a random basis, then murmur3's finalizer; notes whether all were ASCII. */
  #hash(key: string): number {
    let h = this.#seed;
    let all = 0;
    for (let i = 0; i < key.length; i++) {
      const unit = key.charCodeAt(i);
      all |= unit;
      h = Math.imul(h ^ unit, 0x01000193);
    }
    this.#ascii = all < 0x80;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  #newId(): number {
    const id = this.#nextId++;
    if (id === this.#hashes.length) {
      const n = Math.ceil(id * 1.5);
      this.#hashes = grown(this.#hashes, new Uint32Array(n));
      this.#places = grown(this.#places, new Int32Array(2 * n).fill(-1));
      this.#versions = grown(this.#versions, new Float64Array(n));
    }
    return id;
  }

  /** Moves the live records out of every chunk the arena found mostly dead, and releases those chunks. */
  #compactSparse(): void {
    const arena = this.#arena;
    for (let c = arena.nextSparse(); c >= 0; c = arena.nextSparse()) {
      const from = arena.bytes[c]!;
      const words = arena.words[c]!;
      for (let offset = 0; offset < arena.used[c]!; offset += words[(offset >>> 2) + SIZE]!) {
        const id = words[(offset >>> 2) + ID]!;
        if (this.#places[2 * id] !== c || this.#places[2 * id + 1] !== offset) continue; // dead: deleted or moved
        const size = words[(offset >>> 2) + SIZE]!;
        arena.alloc(size);
        arena.bytes[arena.chunk]!.set(from.subarray(offset, offset + size), arena.offset);
        this.#places[2 * id] = arena.chunk;
        this.#places[2 * id + 1] = arena.offset;
      }
      arena.release(c);
    }
  }
}

function grown<T extends Uint32Array | Int32Array | Float64Array>(old: T, larger: T): T {
  larger.set(old as never);
  return larger;
}
