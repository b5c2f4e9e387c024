/** Chunk sizes: each chunk opened is twice the last, from the first to the largest. */
export interface ChunkSizes {
  /** The first chunk's bytes: a store holding a few keys (a test's, a fresh node's) stays small. */
  readonly first: number;
  /** The largest chunk for ordinary records; a record over a quarter of it gets a chunk of its own. */
  readonly max: number;
}
export const DEFAULT_CHUNK_SIZES: ChunkSizes = { first: 64 << 10, max: 8 << 20 };

/**
 * Bytes outside the V8 heap, handed out as records laid end to end in chunks (Buffers), for
 * SlabTable. Nothing here is traced or copied by the garbage collector, which is the point: a
 * million 100-byte values are a few dozen Buffers to V8, not a million strings.
 *
 * The arena counts each chunk's live bytes; a chunk no record lives in any more is released, and
 * one that is less than half live (overwrites and deletes leave holes) is queued for compaction:
 * its owner moves the live records out (see nextSparse) and releases it. So the bytes held stay
 * within about twice the live bytes whatever the write pattern, and each byte is moved at most a
 * few times in its life.
 */
export class Arena {
  /** The chunks by number; a released chunk's number is undefined until reused. */
  readonly bytes: (Buffer | undefined)[] = [];
  /** The same memory as 32-bit words (records start on a 4-byte boundary), for record headers. */
  readonly words: (Uint32Array | undefined)[] = [];
  /** Bytes handed out from the start of each chunk: its records are those in [0, used). */
  readonly used: number[] = [];
  readonly #live: number[] = [];
  readonly #queued: boolean[] = [];
  readonly #sparse: number[] = [];
  readonly #spareNumbers: number[] = [];
  /** The chunk ordinary records are appended to; -1 before the first. */
  #current = -1;
  #opened = 0;
  #held = 0;
  /** Where the last alloc() put its record. */
  chunk = 0;
  offset = 0;

  constructor(readonly sizes: ChunkSizes = DEFAULT_CHUNK_SIZES) {}

  /** Bytes of every chunk held (what the arena adds to the process' memory). */
  get heldBytes(): number {
    return this.#held;
  }

  /** Reserves `size` bytes (a multiple of 4) for a record: see `chunk` and `offset`. */
  alloc(size: number): void {
    let c = this.#current;
    if (size > this.sizes.max / 4) c = this.#open(size);
    else if (c < 0 || this.used[c]! + size > this.bytes[c]!.length) {
      const next = Math.min(this.sizes.max, this.sizes.first * 2 ** this.#opened);
      c = this.#open(Math.max(size, next));
      const previous = this.#current;
      this.#current = c;
      if (previous >= 0) this.#check(previous);
    }
    this.chunk = c;
    this.offset = this.used[c]!;
    this.used[c]! += size;
    this.#live[c]! += size;
  }

  /** The record of `size` bytes in `chunk` is dead (deleted, or moved). */
  free(chunk: number, size: number): void {
    this.#live[chunk]! -= size;
    if (chunk !== this.#current) this.#check(chunk);
  }

  /** A chunk to compact (move its live records out of, then release), or -1 when none is due. */
  nextSparse(): number {
    while (this.#sparse.length > 0) {
      const c = this.#sparse.pop()!;
      this.#queued[c] = false;
      // Released or refilled since it was queued: nothing to do.
      if (this.bytes[c] !== undefined && c !== this.#current && this.#isSparse(c)) return c;
    }
    return -1;
  }

  /** Gives a chunk back (its records all dead or moved); its number is reused. */
  release(c: number): void {
    this.#held -= this.bytes[c]!.length;
    this.bytes[c] = undefined;
    this.words[c] = undefined;
    this.used[c] = 0;
    this.#live[c] = 0;
    this.#spareNumbers.push(c);
  }

  #check(c: number): void {
    if (this.#live[c] === 0) this.release(c);
    else if (!this.#queued[c] && this.#isSparse(c)) {
      this.#queued[c] = true;
      this.#sparse.push(c);
    }
  }

  #isSparse(c: number): boolean {
    return this.#live[c]! * 2 < this.bytes[c]!.length;
  }

  #open(size: number): number {
    // allocUnsafeSlow: a chunk of its own (not the shared pool), pages resident only once written.
    const chunk = Buffer.allocUnsafeSlow(size);
    const c = this.#spareNumbers.pop() ?? this.bytes.length;
    this.bytes[c] = chunk;
    this.words[c] = new Uint32Array(chunk.buffer, chunk.byteOffset, size >>> 2);
    this.used[c] = 0;
    this.#live[c] = 0;
    this.#queued[c] = false;
    this.#opened++;
    this.#held += size;
    return c;
  }
}
