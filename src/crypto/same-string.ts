/**
 * Compares two strings in time that depends on their lengths only, never on where they
 * differ. Pure JavaScript, so that modules reached from runtime-neutral entries (the Hono
 * adapter runs on Bun, Deno and edge runtimes) need no `node:crypto`.
 */
export function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
