/**
 * The layout of one SlabTable record in an Arena chunk, and its text codecs. A record is four
 * 32-bit words (the entry's id, the key's units word, the value's units word, the record's bytes)
 * then the key, then the value; records start on a 4-byte boundary. A units word is the text's
 * length in UTF-16 code units, with WIDE set when the text is stored as those code units
 * (2 bytes each, lone surrogates included) rather than a byte per char (ASCII text only). So
 * reading a text back is one copy into a new string, never a UTF-8 decode.
 */

/** Node's own Buffer codecs, without toString's and write's argument handling (there since Node 0.x). */
export interface RawBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  ucs2Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number): number;
  ucs2Write(text: string, offset: number): number;
}

export const HEADER_BYTES = 16;
/** Word offsets within the header. */
export const ID = 0;
export const KEY = 1;
export const VALUE = 2;
export const SIZE = 3;
const WIDE = 0x80000000;
const UNITS = 0x7fffffff;

/** The units word for `text`; `ascii` says whether every code unit is below 0x80. */
export function unitsWord(text: string, ascii: boolean): number {
  return ascii ? text.length : (text.length | WIDE) >>> 0;
}

/** Whether a text is stored a byte per char: it is all ASCII, so its UTF-8 length is its length. */
export function isAscii(word: number): boolean {
  return (word & WIDE) === 0;
}

/** Bytes a text takes, given its units word. */
export function textBytes(word: number): number {
  return word & WIDE ? (word & UNITS) * 2 : word;
}

/** Bytes of a record (a multiple of 4) for a key and a value of these units words. */
export function recordBytes(keyWord: number, valueWord: number): number {
  return (HEADER_BYTES + textBytes(keyWord) + textBytes(valueWord) + 3) & ~3;
}

/**
 * ASCII texts up to this long are written a unit at a time: a call into Node's C++ (latin1Write)
 * costs ~100 ns on the bench's VM whatever the length, a loop ~3 ns a unit.
 */
const SHORT_TEXT = 24;

export function writeText(bytes: RawBuffer, text: string, word: number, at: number): void {
  if (word <= SHORT_TEXT) {
    for (let i = 0; i < word; i++) bytes[at + i] = text.charCodeAt(i);
  } else if (word & WIDE) bytes.ucs2Write(text, at);
  else bytes.latin1Write(text, at);
}

export function readText(bytes: RawBuffer, word: number, at: number): string {
  return word & WIDE ? bytes.ucs2Slice(at, at + (word & UNITS) * 2) : bytes.latin1Slice(at, at + word);
}

/** Whether the text stored at `at` (units word `word`) is `text`, compared without decoding it. */
export function textIs(bytes: Uint8Array, word: number, at: number, text: string): boolean {
  if ((word & UNITS) !== text.length) return false;
  if ((word & WIDE) === 0) {
    for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  } else {
    for (let i = 0; i < text.length; i++) {
      if ((bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8)) !== text.charCodeAt(i)) return false;
    }
  }
  return true;
}
