/**
 * The one place where failures become HTTP answers. Adapters and core route handlers both
 * come here, so an error looks the same whichever framework or route produced it.
 */
import { AuthError } from "../errors.js";
import type { HttpAnswer } from "./answer.js";

/** One rejected field of a request body, as listed in a 400 problem's `errors`. */
export interface FieldProblem {
  /** The field name, or `(body)` when the body as a whole is wrong. */
  field: string;
  message: string;
}

/** The answer to an {@link AuthError}: its status, challenge and RFC 9457 body. */
export function errorAnswer(error: AuthError, realm?: string): HttpAnswer {
  return { status: error.status, headers: error.headers(realm), body: error.toProblem() };
}

/**
 * A problem answer that is not an authentication failure (bad body, unknown method). It
 * carries no `WWW-Authenticate`: the credentials were fine, the request was not.
 */
export function problemAnswer(
  status: number,
  code: string,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
): HttpAnswer {
  return {
    status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store" },
    body: {
      type: `https://gatehouse.dev/errors/${code}`,
      title,
      status,
      detail,
      code,
      ...extra,
    },
  };
}

/** 400 with every bad field listed, so a client can fix them all in one go. */
export function invalidBodyAnswer(errors: FieldProblem[]): HttpAnswer {
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  return problemAnswer(400, "invalid_body", "Invalid request body", detail, { errors });
}

/** A JSON answer with the given status; `undefined` body means none (204). */
export function jsonAnswer(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpAnswer {
  if (body === undefined) return { status, headers: { ...headers } };
  return { status, headers: { "content-type": "application/json", ...headers }, body };
}

/** Serialises an answer's body the way every adapter sends it. */
export function answerText(answer: HttpAnswer): string | undefined {
  return answer.body === undefined ? undefined : JSON.stringify(answer.body);
}

/**
 * Maps anything a core route handler threw to an answer when it is one of ours. Anything
 * else is a bug or an outage that the framework's own error handling should see, so it is
 * rethrown rather than dressed up as an auth answer.
 */
export function answerFor(error: unknown, realm?: string): HttpAnswer {
  if (AuthError.is(error)) return errorAnswer(error, realm);
  throw error;
}
