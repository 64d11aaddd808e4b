/**
 * CRC-32 (IEEE 802.3, the polynomial zlib and PNG use). Node 20 has no `zlib.crc32`, and
 * the key format needs one to reject mistyped keys before any store or hash work. CRC-32
 * detects every burst error up to 32 bits long, so any single changed character is caught.
 * It is a typo check, not an integrity check: anyone can compute it.
 */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of the bytes (or of the string's ASCII/UTF-8 bytes), as an unsigned integer. */
export function crc32(input: string | Uint8Array): number {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  let crc = 0xffffffff;
  for (const byte of bytes) crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
