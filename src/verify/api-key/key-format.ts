/**
 * The API-key format: `<prefix>_<id>_<secret><checksum>`, all ASCII.
 *
 * - prefix: 1–16 of `[a-z0-9]`, starting with a letter; lets secret scanners find leaked keys.
 * - id: 16 base62 characters, public; the store looks a key up by it (argon2 hashes are
 *   salted, so a hash cannot be the lookup).
 * - secret: 32 base62 characters from `crypto.randomBytes` (≈190 bits).
 * - checksum: CRC-32 of everything before it, as 6 base62 digits; rejects typos and random
 *   strings before any store read or hash.
 *
 * The grammar is checked with a length cap and an anchored ASCII pattern before anything
 * else, so hostile input costs one bounded regex test.
 */
import { crc32 } from "../../crypto/crc32.js";
import { decodeBase62Int, encodeBase62Int, randomBase62 } from "../../crypto/base62.js";

export const KEY_ID_LENGTH = 16;
export const KEY_SECRET_LENGTH = 32;
export const KEY_CHECKSUM_LENGTH = 6;
/** No key of ours is longer; anything longer is refused unread. */
export const MAX_KEY_LENGTH = 128;

const PREFIX = /^[a-z][a-z0-9]{0,15}$/;
const KEY = /^([a-z][a-z0-9]{0,15})_([0-9A-Za-z]{16})_([0-9A-Za-z]{38})$/;

/** The parts of a key in gatehouse's format, `<prefix>_<id>_<secret><checksum>`. */
export interface ParsedApiKey {
  /** The deployment prefix, e.g. `gh`. */
  prefix: string;
  /** The public lookup id. */
  id: string;
  /** The part that is hashed and verified; never log it. */
  secret: string;
}

export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    throw new TypeError(
      "gatehouse: apiKeys.prefix must be 1-16 characters of [a-z0-9], starting with a letter",
    );
  }
}

function checksumOf(body: string): string {
  return encodeBase62Int(crc32(body), KEY_CHECKSUM_LENGTH);
}

/**
 * The key string for given parts, with its checksum. For migrations and tests; new keys
 * come from {@link generateApiKey}. Throws a `TypeError` on parts outside the grammar.
 */
export function formatApiKey(parts: ParsedApiKey): string {
  assertValidPrefix(parts.prefix);
  const body = `${parts.prefix}_${parts.id}_${parts.secret}`;
  const key = body + checksumOf(body);
  if (!KEY.test(key)) throw new TypeError("gatehouse: id or secret outside the key grammar");
  return key;
}

/** A new key: the plaintext to hand out once, and its parts. */
export function generateApiKey(options: { prefix?: string } = {}): ParsedApiKey & {
  /** The full plaintext key to hand to the caller once. Security: never store or log it. */
  key: string;
} {
  const prefix = options.prefix ?? "gh";
  const id = randomBase62(KEY_ID_LENGTH);
  const secret = randomBase62(KEY_SECRET_LENGTH);
  return { key: formatApiKey({ prefix, id, secret }), prefix, id, secret };
}

/**
 * The parts of a key in our format, or `null` for anything else (wrong grammar, wrong
 * checksum, or another prefix than `options.prefix` when given). Never throws.
 */
export function parseApiKey(raw: unknown, options: { prefix?: string } = {}): ParsedApiKey | null {
  if (typeof raw !== "string" || raw.length > MAX_KEY_LENGTH) return null;
  const match = KEY.exec(raw);
  if (!match) return null;
  const [, prefix, id, tail] = match as unknown as [string, string, string, string];
  if (options.prefix !== undefined && prefix !== options.prefix) return null;
  const secret = tail.slice(0, KEY_SECRET_LENGTH);
  const checksum = tail.slice(KEY_SECRET_LENGTH);
  if (decodeBase62Int(checksum) !== crc32(`${prefix}_${id}_${secret}`)) return null;
  return { prefix, id, secret };
}

/**
 * A `parseKey` for the legacy `username:key` format (the username is the lookup id, so the
 * store holds one record per user with `id` = username). Both parts must be printable
 * ASCII without spaces; the whole is capped at 128 characters.
 */
export function parseColonKey(raw: string): {
  /** The part before the first colon: the lookup id (e.g. the username). */
  id: string;
  /** The part after it: the secret to verify. */
  secret: string;
} | null {
  if (typeof raw !== "string" || raw.length > MAX_KEY_LENGTH) return null;
  if (!/^[\x21-\x7e]+$/.test(raw)) return null;
  const colon = raw.indexOf(":");
  if (colon < 1 || colon === raw.length - 1) return null;
  return { id: raw.slice(0, colon), secret: raw.slice(colon + 1) };
}
