// The first-seen tokens the cold-path benches send: one issuer and audience, a fresh key
// per algorithm, tokens minted ahead by hand (node:crypto, no library) so that 100,000 of
// them take a moment. Shared by bench/http/cold.mjs, its servers and bench/cold-in-process.mjs.
import { createHmac, generateKeyPairSync, randomBytes, sign as signWith } from "node:crypto";

export const ISSUER = "https://api.example.test";
export const AUDIENCE = "api";

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * `text` as one flat string, as node:http hands out a header value. A string built by
 * concatenation is a rope that V8 flattens on its first scan, and the flat copy it keeps
 * beside a token made ahead of time survives into the old generation: a cost of the
 * harness's own, which every verifier measured in-process would otherwise pay.
 */
export const flat = (text) => Buffer.from(text, "latin1").toString("latin1");

/** A signer and the verification JWK for one algorithm, from a fresh key (or `secret` for HS256). */
export function keysFor(alg, secret = randomBytes(32)) {
  if (alg === "HS256") {
    return {
      jwk: { kty: "oct", k: secret.toString("base64url") },
      sign: (data) => createHmac("sha256", secret).update(data).digest(),
    };
  }
  const { privateKey, publicKey } =
    alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("ed25519");
  return {
    jwk: publicKey.export({ format: "jwk" }),
    sign: (data) =>
      alg === "ES256"
        ? signWith("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" })
        : signWith(null, data, privateKey),
  };
}

/** `count` distinct valid access tokens (`typ: at+jwt`, two hours to live), each its own `sub` and `jti`. */
export function mint(alg, sign, count, tag) {
  const header = b64({ alg, typ: "at+jwt" });
  const iat = Math.floor(Date.now() / 1000);
  const tokens = new Array(count);
  for (let i = 0; i < count; i += 1) {
    const payload = b64({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: `user-${tag}-${i}`,
      scope: "reports:read",
      iat,
      exp: iat + 7200,
      jti: `${tag}-${i}`,
    });
    const input = `${header}.${payload}`;
    tokens[i] = flat(`${input}.${sign(input).toString("base64url")}`);
  }
  return tokens;
}
