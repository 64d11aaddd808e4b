/**
 * Base62 (0-9, A-Z, a-z): the key alphabet. No punctuation, so a key survives a double
 * click, a URL, a shell and a header unquoted.
 */
import { randomBytes } from "node:crypto";

export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const BASE62_CHAR = /^[0-9A-Za-z]*$/;

export function isBase62(text: string): boolean {
  return BASE62_CHAR.test(text);
}

/**
 * `length` uniformly random base62 characters, each worth log2(62) ≈ 5.95 bits. Bytes of
 * 248 and above are dropped (rejection sampling) because 256 is not a multiple of 62 and
 * `byte % 62` would otherwise favour the first characters.
 */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length + 8)) {
      if (byte >= 248) continue;
      out += BASE62_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A non-negative integer below 2^53 as exactly `width` base62 digits, zero-padded. */
export function encodeBase62Int(value: number, width: number): string {
  let out = "";
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = BASE62_ALPHABET[rest % 62]! + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** The integer `text` spells, or -1 when it holds a character outside base62. */
export function decodeBase62Int(text: string): number {
  let value = 0;
  for (const char of text) {
    const digit = BASE62_ALPHABET.indexOf(char);
    if (digit < 0) return -1;
    value = value * 62 + digit;
  }
  return value;
}
