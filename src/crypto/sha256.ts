/**
 * SHA-256 of a string, base64url, for cache keys on the request path. Node's one-shot
 * `crypto.hash` (20.12+) computes it without creating a `Hash` object per call; older
 * Node 20 releases fall back to `createHash`.
 */
import * as crypto from "node:crypto";

type OneShot = (algorithm: string, data: string, encoding: "base64url") => string;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

export function sha256(data: string): string {
  return oneShot !== undefined
    ? oneShot("sha256", data, "base64url")
    : crypto.createHash("sha256").update(data).digest("base64url");
}
