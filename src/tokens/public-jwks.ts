/**
 * The public JWKS that the token routes serve: the signing key's public half first, then
 * every other configured verification key (`jwt.publicKey`, a local `jwt.jwks`), so that a
 * verifier that only knows the JWKS URL keeps accepting tokens of the previous key during a
 * rotation. HMAC setups publish nothing.
 */
import type { KeyObject } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import type { JwtOptions } from "../options/jwt-options.js";
import { algorithmsFor, isKeyObject, toPublicKey, type SigningKey } from "./signing-key.js";

/** A published public key: only public members (`kty`, `crv`, `x`, `y`, `n`, `e`, `kid`, `alg`, `use`). */
export interface PublicJwk extends Record<string, unknown> {
  /** The key type: `RSA`, `EC` or `OKP`. */
  kty: string;
  /** The key id that tokens name in their `kid` header. */
  kid: string;
  /** The algorithm the key is for, when known. */
  alg?: string;
  /** Always `sig`: the key verifies signatures. */
  use: "sig";
}

/** Members that may appear in a public JWK; anything else (d, p, q, k…) is never published. */
const PUBLIC_MEMBERS = ["kty", "crv", "x", "y", "n", "e", "kid", "alg"] as const;

function publicMembers(jwk: JWK): JWK {
  const out: JWK = {};
  for (const name of PUBLIC_MEMBERS) if (jwk[name] !== undefined) out[name] = jwk[name];
  return out;
}

/** The RFC 7638 thumbprint: a stable `kid` when the options give none. */
export function thumbprintOf(key: KeyObject): Promise<string> {
  return calculateJwkThumbprint(key.export({ format: "jwk" }));
}

interface Described {
  jwk: PublicJwk;
  /** Identifies the key material whatever its kid, so one key is never listed twice. */
  thumbprint: string;
}

async function describe(
  jwk: JWK,
  alg: string | undefined,
  kid?: string,
): Promise<Described | null> {
  if (jwk.kty === undefined || jwk.kty === "oct") return null;
  const clean = publicMembers(jwk);
  const thumbprint = await calculateJwkThumbprint(clean);
  const resolvedAlg = clean.alg ?? alg;
  return {
    thumbprint,
    jwk: {
      ...clean,
      kty: jwk.kty,
      kid: kid ?? clean.kid ?? thumbprint,
      ...(resolvedAlg === undefined ? {} : { alg: resolvedAlg }),
      use: "sig",
    },
  };
}

/** The default algorithm of a verification key: the first allowed one it fits. */
function algOf(key: KeyObject, algorithms: readonly string[]): string | undefined {
  const fits = algorithmsFor(key);
  return algorithms.find((a) => fits.includes(a)) ?? fits[0];
}

export async function buildPublicJwks(
  jwt: JwtOptions,
  signing: SigningKey,
  signingKid: string | undefined,
): Promise<{ keys: PublicJwk[] }> {
  if (signing.publicKey === undefined) return { keys: [] };
  const entries: Array<Promise<Described | null>> = [
    describe(signing.publicKey.export({ format: "jwk" }), signing.alg, signingKid),
  ];
  const extra = jwt.publicKey === undefined ? [] : [jwt.publicKey].flat();
  for (const input of extra) {
    const key = toPublicKey(input, "jwt.publicKey");
    const jwk = key.export({ format: "jwk" }) as JWK;
    // A JWK given as input keeps its own kid/alg; PEM and KeyObject inputs get derived ones.
    const given: JWK = typeof input === "string" || isKeyObject(input) ? {} : input;
    const named = { ...jwk, kid: given.kid, alg: given.alg };
    entries.push(describe(named, algOf(key, jwt.algorithms)));
  }
  if (typeof jwt.jwks === "object" && !(jwt.jwks instanceof URL)) {
    for (const jwk of jwt.jwks.keys) entries.push(describe(jwk, undefined));
  }
  const seen = new Set<string>();
  const keys: PublicJwk[] = [];
  for (const entry of await Promise.all(entries)) {
    if (entry === null || seen.has(entry.thumbprint) || seen.has(entry.jwk.kid)) continue;
    seen.add(entry.thumbprint).add(entry.jwk.kid);
    keys.push(entry.jwk);
  }
  return { keys };
}
