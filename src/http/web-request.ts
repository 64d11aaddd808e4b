/**
 * The web-standard side of route hosting (`Request` in, `Response` out), for adapters on
 * runtimes that speak fetch: Hono today. Nothing here imports a Node built-in.
 */
import type { HttpAnswer } from "./answer.js";
import { answerText, problemAnswer } from "./problem.js";
import { parseBodyText, readBody, type BodyResult, type BodySource } from "./read-body.js";

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The body of a web `Request` as `readBody` reads it; no chunks once it was consumed. */
export function webBodySource(request: Request): BodySource {
  return {
    contentType: request.headers.get("content-type"),
    contentLength: request.headers.get("content-length"),
    chunks: request.body === null || request.bodyUsed ? null : chunksOf(request.body),
  };
}

/**
 * The body of a web `Request`, read once. When something before us already consumed the
 * stream, `copy` gives the text a framework kept of it (Hono's `c.req.text()`), if any.
 */
export async function readWebBody(
  request: Request,
  copy: () => Promise<string>,
): Promise<BodyResult> {
  if (!request.bodyUsed) return readBody(webBodySource(request));
  try {
    return parseBodyText(await copy(), request.headers.get("content-type"));
  } catch {
    const detail = "The body was consumed before this route could read it.";
    return {
      ok: false,
      answer: problemAnswer(400, "invalid_body", "Invalid request body", detail),
    };
  }
}

/** A core answer as a web `Response`, repeated headers (`set-cookie`) kept apart. */
export function webResponse(answer: HttpAnswer): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return new Response(answerText(answer) ?? null, { status: answer.status, headers });
}
