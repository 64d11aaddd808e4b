/**
 * The API-key format: `<prefix>_[<environment>_]<id>_<secret><checksum>`, all ASCII.
 *
 * - prefix: 1–16 of `[a-z0-9]`, starting with a letter; lets secret scanners find leaked keys.
 *   Default {@link DEFAULT_KEY_PREFIX}.
 * - environment: optional, `test` or `live`, so that a test key reads as one to people and
 *   scanners and can be refused where only live keys belong.
 * - id: 16 base62 characters, public; the store looks a key up by it (argon2 hashes are
 *   salted, so a hash cannot be the lookup).
 * - secret: 32 base62 characters from `crypto.randomBytes` (≈190 bits).
 * - checksum: CRC-32 of everything before it, as 6 base62 digits; rejects typos and random
 *   strings before any store read or hash.
 *
 * The grammar is checked with a length cap and an anchored ASCII pattern before anything
 * else, so hostile input costs one bounded regex test. No part of the grammar can contain
 * `_`, and `test`/`live` are shorter than an id, so every key reads one way only.
 *
 * What is hashed ({@link hashedSecret}) is the secret, preceded by the environment when
 * there is one: the checksum is no signature, and a test key relabelled `live` (with a
 * checksum made anew) must not verify, whatever the store keeps of the record.
 */
import { crc32 } from "../../crypto/crc32.js";
import { decodeBase62Int, encodeBase62Int, randomBase62 } from "../../crypto/base62.js";
import type { KeyEnvironment } from "../../types.js";
import { isKeyEnvironment } from "./key-environment.js";

export { isKeyEnvironment, KEY_ENVIRONMENTS } from "./key-environment.js";

export const KEY_ID_LENGTH = 16;
export const KEY_SECRET_LENGTH = 32;
export const KEY_CHECKSUM_LENGTH = 6;
/** No key of ours is longer; anything longer is refused unread. */
export const MAX_KEY_LENGTH = 128;

/**
 * The prefix of keys issued without an `apiKeys.prefix`. Distinct from other vendors'
 * token prefixes (GitHub's `gh*_`, Stripe's `sk_`), so that a scanner's hit names us.
 */
export const DEFAULT_KEY_PREFIX = "gatehouse";
/**
 * The default prefix of earlier releases. Keys that carry it still verify on a deployment
 * that never set `apiKeys.prefix` (see `apiKeys.previousPrefixes`); new keys never get it.
 */
export const LEGACY_KEY_PREFIX = "gh";

const PREFIX = /^[a-z][a-z0-9]{0,15}$/;
const KEY = /^([a-z][a-z0-9]{0,15})_(?:(test|live)_)?([0-9A-Za-z]{16})_([0-9A-Za-z]{38})$/;

/** The parts of a key in gatehouse's format, `<prefix>_[<environment>_]<id>_<secret><checksum>`. */
export interface ParsedApiKey {
  /** The deployment prefix, e.g. `gatehouse`. */
  prefix: string;
  /**
   * `test` or `live` for a key issued for that environment; `null` (or absent, when
   * formatting) for a key without one.
   */
  environment?: KeyEnvironment | null;
  /** The public lookup id. */
  id: string;
  /** The part that is hashed (see {@link hashedSecret}) and verified; never log it. */
  secret: string;
}

/** Throws a `TypeError` unless `prefix` is 1–16 of `[a-z0-9]`, starting with a letter. */
export function assertValidPrefix(prefix: string, option = "apiKeys.prefix"): void {
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    throw new TypeError(
      `gatehouse: ${option} must be 1-16 characters of [a-z0-9], starting with a letter`,
    );
  }
}

function checksumOf(body: string): string {
  return encodeBase62Int(crc32(body), KEY_CHECKSUM_LENGTH);
}

function bodyOf(prefix: string, environment: KeyEnvironment | null, id: string, secret: string) {
  return environment === null
    ? `${prefix}_${id}_${secret}`
    : `${prefix}_${environment}_${id}_${secret}`;
}

/**
 * What of a key is hashed and stored: its secret, preceded by `<environment>_` when the key
 * has an environment, so that the environment is bound to the hash.
 */
export function hashedSecret(parts: Pick<ParsedApiKey, "secret" | "environment">): string {
  const environment = parts.environment ?? null;
  return environment === null ? parts.secret : `${environment}_${parts.secret}`;
}

/**
 * The key string for given parts, with its checksum. For migrations and tests; new keys
 * come from {@link generateApiKey}. Throws a `TypeError` on parts outside the grammar.
 */
export function formatApiKey(parts: ParsedApiKey): string {
  assertValidPrefix(parts.prefix);
  const environment = parts.environment ?? null;
  if (environment !== null && !isKeyEnvironment(environment)) {
    throw new TypeError('gatehouse: environment must be "test", "live" or null');
  }
  const body = bodyOf(parts.prefix, environment, parts.id, parts.secret);
  const key = body + checksumOf(body);
  if (!KEY.test(key)) throw new TypeError("gatehouse: id or secret outside the key grammar");
  return key;
}

/** A new key: the plaintext to hand out once, and its parts. */
export function generateApiKey(
  options: {
    /** Default {@link DEFAULT_KEY_PREFIX}. */
    prefix?: string;
    /** Default `null`: a key without an environment. */
    environment?: KeyEnvironment | null;
  } = {},
): ParsedApiKey & {
  /** `test`, `live` or `null`. */
  environment: KeyEnvironment | null;
  /** The full plaintext key to hand to the caller once. Security: never store or log it. */
  key: string;
} {
  const prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
  const environment = options.environment ?? null;
  const id = randomBase62(KEY_ID_LENGTH);
  const secret = randomBase62(KEY_SECRET_LENGTH);
  return {
    key: formatApiKey({ prefix, environment, id, secret }),
    prefix,
    environment,
    id,
    secret,
  };
}

/**
 * The parts of a key in our format, or `null` for anything else (wrong grammar, wrong
 * checksum, or a prefix other than `options.prefix`, or than every one of a list, when
 * given). Never throws.
 */
export function parseApiKey(
  raw: unknown,
  options: {
    /** The prefix, or the prefixes, a key must carry. Default: any. */
    prefix?: string | readonly string[];
  } = {},
):
  | (ParsedApiKey & {
      /** `test` or `live` for a key issued for that environment, `null` for a key without one. */
      environment: KeyEnvironment | null;
    })
  | null {
  if (typeof raw !== "string" || raw.length > MAX_KEY_LENGTH) return null;
  const match = KEY.exec(raw);
  if (!match) return null;
  const [, prefix, env, id, tail] = match as unknown as [
    string,
    string,
    KeyEnvironment | undefined,
    string,
    string,
  ];
  const wanted = options.prefix;
  if (
    wanted !== undefined &&
    (typeof wanted === "string" ? prefix !== wanted : !wanted.includes(prefix))
  ) {
    return null;
  }
  const environment = env ?? null;
  const secret = tail.slice(0, KEY_SECRET_LENGTH);
  const checksum = tail.slice(KEY_SECRET_LENGTH);
  if (decodeBase62Int(checksum) !== crc32(bodyOf(prefix, environment, id, secret))) return null;
  return { prefix, environment, id, secret };
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
