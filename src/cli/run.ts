/**
 * The CLI as a function: arguments in, exit code out. Every failure is turned into one line
 * on stderr here, the only place that knows how errors map to exit codes.
 */
import { AuthError } from "../errors.js";
import { jwkCommand } from "./commands/jwk.js";
import { keysCommand } from "./commands/keys.js";
import { secretCommand } from "./commands/secret.js";
import { CliError, EXIT, oneLine } from "./errors.js";
import type { ExitCode } from "./errors.js";
import { MAIN_HELP } from "./help.js";
import type { CliIo } from "./io.js";

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<void>> = {
  keys: keysCommand,
  secret: secretCommand,
  jwk: jwkCommand,
};

/** Follows `cause` links to the CLI's own error, if a library wrapped one. */
function findCliError(error: unknown): CliError | undefined {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    if (current instanceof CliError) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/** The exit code and the line the user sees, for anything a command threw. */
export function describeFailure(error: unknown): { code: ExitCode; line: string } {
  const own = findCliError(error);
  if (own) return { code: own.exitCode, line: own.message };
  if (error instanceof AuthError) {
    if (error.code === "unavailable") {
      const reason = error.cause === undefined ? error.detail : oneLine(error.cause);
      return { code: EXIT.storeUnavailable, line: `store unavailable: ${reason}` };
    }
    return { code: EXIT.usage, line: error.detail };
  }
  // The library reports a developer's mistake (a bad name, scope or date) as a TypeError.
  if (error instanceof TypeError || error instanceof RangeError) {
    return { code: EXIT.usage, line: oneLine(error).replace(/^gatehouse:\s*/, "") };
  }
  return { code: EXIT.usage, line: `unexpected error: ${oneLine(error)}` };
}

export async function run(argv: string[], io: CliIo): Promise<ExitCode> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    (command === undefined ? io.err : io.out)(MAIN_HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const handler = COMMANDS[command];
  if (handler === undefined) {
    io.err(`gatehouse: unknown command '${command}' (see gatehouse --help)`);
    return EXIT.usage;
  }
  try {
    await handler(rest, io);
    return EXIT.ok;
  } catch (error) {
    const { code, line } = describeFailure(error);
    io.err(`gatehouse: ${line}`);
    return code;
  }
}
