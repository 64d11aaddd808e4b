/**
 * The unverified `iss` of a compact JWS, read only to choose which configured issuer
 * verifies the token. Nothing is trusted from it: the chosen issuer's verifier checks the
 * signature with its own keys and the `iss` claim again, so a token that lies about its
 * issuer is refused by the keys it did not come from.
 */

/** What the payload says about its issuer. */
export type PeekedIssuer =
  | {
      ok: true;
      /** The `iss` claim, or `undefined` when the payload has none. */
      iss: string | undefined;
    }
  | { ok: false };

const UNREADABLE: PeekedIssuer = { ok: false };

/**
 * Reads `iss` from the payload segment: two `indexOf` scans, one base64url decode and one
 * `JSON.parse`, each linear in the token's length. Never throws; a payload that is not a
 * JSON object, or an `iss` that is not a string, is `{ ok: false }`. Run it only after the
 * shape check (`checkTokenShape`), which bounds the length.
 */
export function peekIssuer(token: string): PeekedIssuer {
  try {
    const first = token.indexOf(".");
    if (first < 0) return UNREADABLE;
    const second = token.indexOf(".", first + 1);
    if (second < 0) return UNREADABLE;
    const json = Buffer.from(token.slice(first + 1, second), "base64url").toString("utf8");
    const payload: unknown = JSON.parse(json);
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      return UNREADABLE;
    }
    if (!Object.prototype.hasOwnProperty.call(payload, "iss")) return { ok: true, iss: undefined };
    const { iss } = payload as { iss: unknown };
    return typeof iss === "string" ? { ok: true, iss } : UNREADABLE;
  } catch {
    return UNREADABLE;
  }
}
