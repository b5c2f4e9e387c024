/**
 * Z85 (ZeroMQ RFC 32), the text form of CURVE keys: 4 bytes become 5 printable characters, so a
 * 32-byte key is 40 characters that survive files, env vars and Consul meta unquoted. Pure code
 * (zeromq.js decodes keys only inside its native socket options), so keys can be checked before
 * any socket exists.
 */

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/** Character code → digit value; -1 for characters outside the alphabet. */
const DIGITS = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** Encodes bytes whose length is a multiple of 4. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError("z85Encode needs a multiple of 4 bytes");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let out = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let value = view.getUint32(i);
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = ALPHABET[value % 85]!;
      value = Math.floor(value / 85);
    }
    out += chunk.join("");
  }
  return out;
}

/**
 * Decodes Z85 text; undefined when the length is not a multiple of 5, a character is outside the
 * alphabet, or a group overflows 32 bits (so every string has at most one decoding).
 */
export function z85Decode(text: string): Buffer | undefined {
  if (text.length % 5 !== 0) return undefined;
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const code = text.charCodeAt(i + j);
      const digit = code < 128 ? DIGITS[code]! : -1;
      if (digit < 0) return undefined;
      value = value * 85 + digit;
    }
    if (value > 0xffff_ffff) return undefined;
    out.writeUInt32BE(value, (i / 5) * 4);
  }
  return out;
}
