/**
 * A string of its own, for what a long-lived structure keeps of a token: V8 makes a long
 * slice (and each part of a `split`) a view into the string it was cut from, which would keep
 * the whole token, signature included, alive as long as the structure. Only for the ASCII
 * a token is made of (the shape check saw to it): latin1 is lossless there.
 */
export function detached(text: string): string {
  return Buffer.from(text, "latin1").toString("latin1");
}
