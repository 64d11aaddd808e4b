/**
 * Argument parsing on top of `node:util` parseArgs, strict: an unknown flag or a missing
 * value is a usage error (exit 1) that names the flag, never a stack trace.
 */
import { parseArgs } from "node:util";
import { usageError } from "./errors.js";

export type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** Flags every command accepts. */
export const COMMON_FLAGS = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies FlagSpec;

/** Flags of the commands that open a key store. */
export const STORE_FLAGS = {
  store: { type: "string" },
  prefix: { type: "string" },
  environment: { type: "string" },
} as const satisfies FlagSpec;

export interface Parsed<T extends FlagSpec> {
  values: { [K in keyof T]?: T[K]["type"] extends "string" ? string : boolean };
  positionals: string[];
}

export function parseFlags<T extends FlagSpec>(args: string[], flags: T): Parsed<T> {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: flags,
      strict: true,
      allowPositionals: true,
    });
    return { values, positionals };
  } catch (error) {
    // Keep parseArgs' first sentence ("Unknown option '--x'"); its advice on positionals
    // that start with a dash does not apply to any command here.
    const message = error instanceof Error ? error.message : String(error);
    throw usageError(message.split(/\.\s|\n/)[0] ?? message);
  }
}

/** A comma-separated list flag (`--scopes a,b`), trimmed, without empty items. */
export function listFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Exactly `count` positionals, or a usage error that says what was expected. */
export function expectPositionals(positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) {
    throw usageError(
      `missing ${names
        .slice(positionals.length)
        .map((n) => `<${n}>`)
        .join(" ")}`,
    );
  }
  if (positionals.length > names.length) {
    throw usageError(`unexpected argument '${positionals[names.length]}'`);
  }
  return positionals;
}

/** A string flag that must be present. */
export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === "") throw usageError(`--${flag} is required`);
  return value;
}
