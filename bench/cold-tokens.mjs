// The first-seen tokens the cold-path benches send: one issuer and audience, a fresh key
// per algorithm, tokens minted ahead by hand (node:crypto, no library) so that 100,000 of
// them take a moment. Shared by bench/http/cold.mjs, its servers and bench/cold-in-process.mjs.
import { createHmac, generateKeyPairSync, randomBytes, sign as signWith } from "node:crypto";

export const ISSUER = "https://api.example.test";
export const AUDIENCE = "api";

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

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
    tokens[i] = `${input}.${sign(input).toString("base64url")}`;
  }
  return tokens;
}
