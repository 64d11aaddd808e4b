/**
 * Where the CLI writes. Commands receive this instead of touching `process` so that what
 * goes to stdout (data a script may capture) and to stderr (notes for people) is explicit.
 */
export interface CliIo {
  /** Data: the key, the table, the JSON document. */
  out: (text: string) => void;
  /** Notes and warnings for people; never needed by a script. */
  err: (text: string) => void;
  /** Environment variables (GATEHOUSE_STORE, GATEHOUSE_KEY_PREFIX). */
  env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => void process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    env: process.env,
  };
}

/** Pretty JSON with dates as ISO strings (JSON.stringify already does that for Date). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
