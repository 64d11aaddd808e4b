/**
 * Reporting outcomes to `onEvent`. A listener that throws must not change the answer, and
 * without a listener no event object is built: refusals run for every rejected request.
 */
import type { AuthError } from "../errors.js";
import type { AuthEvent, AuthResult, CredentialSource, Principal } from "../types.js";

export interface Reporter {
  /** Whether anyone listens; callers skip building events when not. */
  readonly listening: boolean;
  /** Hands one event to the listener, swallowing what it throws. */
  readonly emit: (event: AuthEvent) => void;
  /** The refusal for `error`, reported as failed (or unavailable) for `source`. */
  failed<TUser extends Principal>(
    source: CredentialSource | "none",
    error: AuthError,
  ): AuthResult<TUser>;
}

export function createReporter(onEvent: ((event: AuthEvent) => void) | undefined): Reporter {
  const emit = (event: AuthEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // A failing logger must not change the answer.
    }
  };
  return {
    listening: onEvent !== undefined,
    emit,
    failed(source, error) {
      if (onEvent === undefined) return { ok: false, error };
      if (error.code === "unavailable") {
        // Anonymous requests are not reported; an outage with no credential has no source.
        if (source !== "none") emit({ type: "unavailable", source, reason: error.detail });
      } else {
        emit({ type: "failed", source, code: error.code, reason: error.detail });
      }
      return { ok: false, error };
    },
  };
}
