/**
 * HMAC-SHA256 under a server-side pepper: a {@link SecretHasher} for high-entropy secrets.
 *
 * The trade-off, stated plainly: argon2id exists to make guessing a *low-entropy* secret
 * from a stolen hash expensive. Generated keys carry ≥160 random bits, so guessing is
 * hopeless either way and argon2's cost buys little for them; HMAC verifies in about a
 * microsecond instead of milliseconds. What HMAC gives up: if the pepper leaks together
 * with the database, every hash can be checked at full speed (still useless against 160-bit
 * secrets, fatal for short legacy keys or passwords). Never use it for passwords or for
 * short legacy keys (such as 16-character `username:key` secrets).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { SecretHasher } from "../types.js";

/** Options of {@link hmacSha256Hasher}. */
export interface HmacHasherOptions {
  /**
   * The secret key of the HMAC: at least 32 bytes, kept out of the key database (an
   * environment variable or a secret manager). Losing it invalidates every key.
   */
  pepper: string | Uint8Array;
  /**
   * A short name for this pepper, written into each hash so that the pepper can be rotated.
   * Default `"1"`. Letters, digits, `-` and `_` only.
   */
  pepperId?: string;
  /**
   * Earlier peppers by id, still accepted on verify. Hashes made with them report
   * `needsRehash`, so the verifier upgrades them on their next good use.
   */
  previousPeppers?: Record<string, string | Uint8Array>;
}

const TAG = "hmac-sha256";
const PEPPER_ID = /^[A-Za-z0-9_-]{1,32}$/;

function toBytes(pepper: string | Uint8Array, field: string): Buffer {
  const bytes = typeof pepper === "string" ? Buffer.from(pepper, "utf8") : Buffer.from(pepper);
  if (bytes.length < 32) {
    throw new TypeError(`gatehouse: ${field} must be at least 32 bytes`);
  }
  return bytes;
}

function mac(pepper: Buffer, secret: string): Buffer {
  return createHmac("sha256", pepper).update(secret, "utf8").digest();
}

/**
 * A {@link SecretHasher} that stores `hmac-sha256$<pepperId>$<digest>` and compares in
 * constant time. Throws a `TypeError` for a pepper under 32 bytes or a bad `pepperId`.
 * Security: only for generated keys, never for passwords or short legacy secrets.
 */
export function hmacSha256Hasher(options: HmacHasherOptions): SecretHasher {
  const pepperId = options.pepperId ?? "1";
  if (!PEPPER_ID.test(pepperId)) {
    throw new TypeError("gatehouse: hmacSha256Hasher pepperId must match [A-Za-z0-9_-]{1,32}");
  }
  const peppers = new Map<string, Buffer>();
  for (const [id, pepper] of Object.entries(options.previousPeppers ?? {})) {
    peppers.set(id, toBytes(pepper, `previousPeppers.${id}`));
  }
  peppers.set(pepperId, toBytes(options.pepper, "hmacSha256Hasher pepper"));
  const current = peppers.get(pepperId)!;

  return {
    id: TAG,
    hash(secret) {
      return Promise.resolve(`${TAG}$${pepperId}$${mac(current, secret).toString("base64url")}`);
    },
    verify(hashed, secret) {
      const [tag, id, digest] = hashed.split("$");
      const pepper = id === undefined ? undefined : peppers.get(id);
      if (tag !== TAG || !pepper || digest === undefined) return Promise.resolve(false);
      const expected = mac(pepper, secret);
      const given = Buffer.from(digest, "base64url");
      return Promise.resolve(given.length === expected.length && timingSafeEqual(given, expected));
    },
    needsRehash(hashed) {
      return !hashed.startsWith(`${TAG}$${pepperId}$`);
    },
  };
}
