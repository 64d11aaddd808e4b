/**
 * SHA-256 of a string, for the keys of the in-memory caches on the request path: the 32
 * digest bytes as a 32-character latin1 string (Node's `binary` encoding). Never shown,
 * stored or compared outside the process, so it needs no printable spelling, and a raw
 * string is cheaper to make and to look up in a `Map` than 43 characters of base64url.
 * Node's one-shot `crypto.hash` (20.12+) computes it without creating a `Hash` object per
 * call; older Node 20 releases fall back to `createHash`.
 */
import * as crypto from "node:crypto";

type OneShot = (algorithm: string, data: string, encoding: "binary") => string;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

export function sha256(data: string): string {
  return oneShot !== undefined
    ? oneShot("sha256", data, "binary")
    : crypto.createHash("sha256").update(data).digest("binary");
}
