/**
 * Refuses HMAC secrets that cannot carry the strength the algorithm promises. RFC 7518
 * §3.2 asks for a key at least as long as the hash output; length alone does not stop
 * `"a".repeat(32)` or `"secret".repeat(8)`, which is what people paste into `.env` files.
 */

/** The shortest secret, in bytes, RFC 7518 §3.2 allows for each HMAC algorithm. */
const MIN_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };
/** Patterns up to this many bytes, repeated to fill the secret, count as weak. */
const MAX_PATTERN = 16;

function repeatsShortPattern(bytes: Uint8Array): boolean {
  for (let period = 1; period <= MAX_PATTERN && period < bytes.length; period++) {
    let repeats = true;
    for (let i = period; i < bytes.length; i++) {
      if (bytes[i] !== bytes[i - period]) {
        repeats = false;
        break;
      }
    }
    if (repeats) return true;
  }
  return false;
}

/** Throws a `TypeError` naming the problem; `index` identifies a secret in a rotation list. */
export function assertStrongSecret(
  bytes: Uint8Array,
  algorithms: readonly string[],
  index: number,
): void {
  const where = index === 0 ? "jwt.secret" : `jwt.secret[${index}]`;
  const needed = Math.max(...algorithms.map((alg) => MIN_BYTES[alg] ?? 0));
  if (bytes.length < needed) {
    throw new TypeError(
      `gatehouse: ${where} is ${bytes.length} bytes; ${algorithms.join("/")} needs at least ${needed} (RFC 7518 §3.2). Generate one with \`openssl rand -base64 ${needed}\`.`,
    );
  }
  if (repeatsShortPattern(bytes)) {
    throw new TypeError(
      `gatehouse: ${where} is a short pattern repeated (for example one character); use random bytes.`,
    );
  }
}

export function secretBytes(secret: string | Uint8Array): Uint8Array {
  return typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
}
