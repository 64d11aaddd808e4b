/**
 * A small request-body reader for the routes gatehouse mounts (key routes, token routes)
 * when the framework has not parsed the body already: JSON and
 * `application/x-www-form-urlencoded`, with a size limit. It never throws: anything wrong
 * with the body becomes a 400 (or 413/415) answer, so a hostile body cannot reach a 500.
 */
import type { HttpAnswer } from "./answer.js";
import { problemAnswer } from "./problem.js";

/** Default body limit: key and token requests are tiny. */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

export interface BodySource {
  /** The `Content-Type` header, or null. */
  contentType: string | null;
  /** The `Content-Length` header, or null (chunked). */
  contentLength: string | null;
  /** The raw bytes; `null` when the request has no body at all. */
  chunks: AsyncIterable<Uint8Array> | null;
}

export type BodyResult = { ok: true; body: unknown } | { ok: false; answer: HttpAnswer };

function refuse(status: number, code: string, title: string, detail: string): BodyResult {
  return { ok: false, answer: problemAnswer(status, code, title, detail) };
}

/** Reads and parses a body; `body` is `undefined` when there was none. */
export async function readBody(
  source: BodySource,
  options: { limit?: number } = {},
): Promise<BodyResult> {
  const limit = options.limit ?? DEFAULT_BODY_LIMIT;
  const declared = source.contentLength === null ? null : Number(source.contentLength);
  if (declared !== null && Number.isFinite(declared) && declared > limit) {
    return refuse(413, "body_too_large", "Body too large", `The body exceeds ${limit} bytes.`);
  }
  if (source.chunks === null || declared === 0) return { ok: true, body: undefined };

  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of source.chunks) {
      size += chunk.byteLength;
      // Checked while reading too: Content-Length may be absent (chunked) or lie.
      if (size > limit) {
        return refuse(413, "body_too_large", "Body too large", `The body exceeds ${limit} bytes.`);
      }
      parts.push(chunk);
    }
  } catch {
    return refuse(400, "invalid_body", "Invalid request body", "The body could not be read.");
  }
  if (size === 0) return { ok: true, body: undefined };

  // One buffer without Node's Buffer: this module also serves the web adapters (Bun, Deno).
  const whole = parts.length === 1 ? parts[0]! : new Uint8Array(size);
  if (parts.length > 1) {
    let at = 0;
    for (const part of parts) {
      whole.set(part, at);
      at += part.byteLength;
    }
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(whole);
  } catch {
    return refuse(400, "invalid_body", "Invalid request body", "The body is not valid UTF-8.");
  }
  return parseBodyText(text, source.contentType);
}

/** Parses an already-read body by its media type. */
export function parseBodyText(text: string, contentType: string | null): BodyResult {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/json" || type.endsWith("+json")) {
    try {
      return { ok: true, body: JSON.parse(text) as unknown };
    } catch {
      return refuse(400, "invalid_body", "Invalid request body", "The body is not valid JSON.");
    }
  }
  if (type === "application/x-www-form-urlencoded") {
    // Object.create(null): a field named __proto__ must stay a plain field.
    const fields = Object.create(null) as Record<string, string>;
    for (const [name, value] of new URLSearchParams(text)) {
      if (name in fields) {
        return refuse(
          400,
          "invalid_body",
          "Invalid request body",
          `The field ${JSON.stringify(name)} is repeated.`,
        );
      }
      fields[name] = value;
    }
    return { ok: true, body: fields };
  }
  return refuse(
    415,
    "unsupported_media_type",
    "Unsupported media type",
    "Send application/json or application/x-www-form-urlencoded.",
  );
}
