/**
 * The CLI's failure vocabulary. Every failure ends as one line on stderr and one of these
 * exit codes, so scripts can branch on the code without parsing text.
 */

export const EXIT = {
  ok: 0,
  usage: 1,
  notFound: 2,
  storeUnavailable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports and exits on; `message` is the whole line the user sees. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

export function usageError(message: string): CliError {
  return new CliError(EXIT.usage, message);
}

export function notFound(message: string): CliError {
  return new CliError(EXIT.notFound, message);
}

export function storeUnavailable(message: string, cause?: unknown): CliError {
  return new CliError(EXIT.storeUnavailable, message, { cause });
}

/** The first line of an error's message, so a driver's multi-line text stays one line. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split("\n")[0] ?? "").trim() || "unknown error";
}
