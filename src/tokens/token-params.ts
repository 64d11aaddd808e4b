/**
 * Reads the parameters of a token request: an RFC 6749 form body, the same names in JSON,
 * or the JSON shape `{ grantType: "app_token", AppId, AppSecret }` that some platforms use
 * for client credentials. Also reads HTTP Basic client authentication (RFC 6749 §2.3.1).
 */
export type TokenParams = Readonly<Record<string, string>>;

export type ParamsResult =
  { ok: true; params: TokenParams; appToken: boolean } | { ok: false; description: string };

/** JSON aliases, applied only when the RFC name is absent. */
const ALIASES: Readonly<Record<string, string>> = {
  grantType: "grant_type",
  AppId: "client_id",
  AppSecret: "client_secret",
  appId: "client_id",
  appSecret: "client_secret",
  clientId: "client_id",
  clientSecret: "client_secret",
  refreshToken: "refresh_token",
};

/** A parameter longer than this is refused unread: no legitimate value comes close. */
const MAX_VALUE_LENGTH = 4096;

/** Flattens the parsed body into string parameters, refusing repeats and nested values. */
export function readTokenParams(body: unknown): ParamsResult {
  if (body === undefined || body === null) return { ok: true, params: {}, appToken: false };
  if (typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, description: "The body must be a form or a JSON object." };
  }
  const params = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    let text: string;
    if (typeof value === "string") text = value;
    else if (typeof value === "boolean" || typeof value === "number") text = String(value);
    else return { ok: false, description: `The parameter ${name} must be a single string.` };
    if (text.length > MAX_VALUE_LENGTH) {
      return { ok: false, description: `The parameter ${name} is too long.` };
    }
    params[name] = text;
  }
  for (const [alias, name] of Object.entries(ALIASES)) {
    const value = params[alias];
    if (value !== undefined && params[name] === undefined) params[name] = value;
  }
  const appToken = params.grant_type === "app_token";
  if (appToken) params.grant_type = "client_credentials";
  return { ok: true, params, appToken };
}

export type BasicResult =
  | { present: false }
  | { present: true; ok: true; clientId: string; clientSecret: string }
  | { present: true; ok: false };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** RFC 6749 §2.3.1: both halves are form-urlencoded before the Basic encoding. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, " "));
}

/** Reads `Authorization: Basic …`; any other scheme counts as absent. */
export function readBasicAuth(header: string | null): BasicResult {
  if (header === null || !/^basic(?: |$)/i.test(header)) return { present: false };
  const encoded = /^basic +(\S+) *$/i.exec(header)?.[1];
  if (encoded === undefined || encoded.length > 2 * MAX_VALUE_LENGTH || !BASE64.test(encoded)) {
    return { present: true, ok: false };
  }
  try {
    const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    const colon = text.indexOf(":");
    if (colon < 0) return { present: true, ok: false };
    return {
      present: true,
      ok: true,
      clientId: formDecode(text.slice(0, colon)),
      clientSecret: formDecode(text.slice(colon + 1)),
    };
  } catch {
    return { present: true, ok: false };
  }
}
