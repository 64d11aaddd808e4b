/**
 * Reads an API key from the configured header(s). Repeated headers arrive joined with
 * `", "`; a key never contains a comma, so more than one distinct value is a request we
 * refuse to guess about.
 */

export type ApiKeyHeader =
  | { kind: "absent" }
  | { kind: "key"; raw: string; header: string }
  | { kind: "invalid"; detail: string };

const ABSENT: ApiKeyHeader = { kind: "absent" };

/**
 * Collects the key from every configured header name. The same value sent twice (or under
 * two configured names) is one key; two different values are `invalid`.
 */
export function readApiKeyHeader(
  headers: { get(name: string): string | null },
  names: readonly string[],
): ApiKeyHeader {
  let found: { raw: string; header: string } | undefined;
  for (const name of names) {
    const value = headers.get(name);
    if (value === null) continue;
    // The usual request: one header, one value, nothing to split (and nothing allocated).
    if (found === undefined && names.length === 1 && !value.includes(",")) {
      const raw = value.trim();
      return raw.length === 0 ? ABSENT : { kind: "key", raw, header: name };
    }
    const parts = value
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part.length > 0);
    for (const raw of parts) {
      if (found === undefined) found = { raw, header: name };
      else if (found.raw !== raw) {
        return { kind: "invalid", detail: "More than one API key was sent." };
      }
    }
  }
  return found === undefined ? ABSENT : { kind: "key", ...found };
}
