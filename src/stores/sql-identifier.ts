/**
 * Table and schema names are the only SQL text that comes from options, and identifiers
 * cannot be bound as parameters; so they are held to a plain grammar and then quoted.
 */

/** At most 48, which leaves room under PostgreSQL's 63-byte limit for derived names. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/** Throws a TypeError naming the option unless `name` is letters, digits and `_`. */
export function checkName(name: unknown, option: string): string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new TypeError(
      `gatehouse: ${option} must be 1-48 letters, digits or _, not starting with a digit`,
    );
  }
  return name;
}

/** Double-quotes a name that {@link checkName} accepted, or one derived from such names. */
export function quote(name: string): string {
  return `"${name}"`;
}
