/**
 * A step counter for parsers, so that linearity is a property fast-check can check without
 * a clock: while a function runs, the string, array and RegExp built-ins it calls are
 * wrapped, and each call adds what it costs in characters looked at (one for `charCodeAt`,
 * the span searched for `indexOf`, the length read for `trim` or `split`, …). A parser made
 * of such calls is linear when the total stays under a fixed multiple of its input's
 * length for every input.
 *
 * What a RegExp costs inside V8 cannot be seen from here (a backtracking pattern is one
 * call however long it takes), so the patterns that ran are listed instead: a test allows
 * only patterns it has argued to be linear, and compares the parser with a reference.
 * Primitive `===` on strings is not a call either; the parsers compare disjoint slices or a
 * fixed name, whose cost the slices already count.
 */

type Cost = (self: string | unknown[], args: unknown[], result: unknown) => number;

export interface Steps {
  /** Characters (and array elements) the built-ins looked at. */
  steps: number;
  /** Calls into a RegExp; those it makes itself (`test` and `split` call `exec`) are not. */
  regexCalls: number;
  /** The patterns those calls ran, as `/source/flags`, each once. */
  patterns: string[];
}

const lengthOf = (value: unknown): number =>
  typeof value === "string" || Array.isArray(value) ? value.length : 0;
const whole: Cost = (self) => self.length + 1;
const produced: Cost = (_self, _args, result) => lengthOf(result) + 1;
const one: Cost = () => 1;

function searched(self: string | unknown[], args: unknown[], result: unknown): number {
  const from = Math.max(0, Math.min(Math.trunc(Number(args[1] ?? 0)) || 0, self.length));
  const found = typeof result === "number" ? result : -1;
  const stop = found < 0 ? self.length : found + Math.max(1, lengthOf(args[0]));
  return Math.max(1, stop - from + 1);
}

const STRING_COSTS: Record<string, Cost> = {
  at: one,
  charAt: one,
  charCodeAt: one,
  codePointAt: one,
  concat: produced,
  endsWith: (_self, args) => lengthOf(args[0]) + 1,
  includes: whole,
  indexOf: searched,
  lastIndexOf: whole,
  localeCompare: whole,
  match: whole,
  matchAll: whole,
  normalize: whole,
  padEnd: produced,
  padStart: produced,
  repeat: produced,
  replace: whole,
  replaceAll: whole,
  search: whole,
  slice: produced,
  split: (self, _args, result) => self.length + lengthOf(result) + 1,
  startsWith: (_self, args) => lengthOf(args[0]) + 1,
  substr: produced,
  substring: produced,
  toLowerCase: whole,
  toUpperCase: whole,
  trim: whole,
  trimEnd: whole,
  trimStart: whole,
};

const ARRAY_COSTS: Record<string, Cost> = {
  every: whole,
  filter: whole,
  find: whole,
  findIndex: whole,
  forEach: whole,
  includes: whole,
  indexOf: whole,
  join: produced,
  map: whole,
  push: one,
  slice: produced,
  some: whole,
};

const REGEXP_METHODS = ["exec", "test"] as const;
const REGEXP_SYMBOLS = [
  Symbol.match,
  Symbol.matchAll,
  Symbol.replace,
  Symbol.search,
  Symbol.split,
] as const;

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Runs `fn` with the built-ins counted; returns its result and the counts. */
export function countSteps<T>(fn: () => T): { result: T } & Steps {
  const counts: Steps = { steps: 0, regexCalls: 0, patterns: [] };
  const patterns = new Set<string>();
  // Only calls made by `fn` count, not the wrapping and unwrapping around it.
  let armed = false;
  let inside = 0;
  let inRegex = 0;
  const restore: (() => void)[] = [];

  function wrap(target: object, key: string | symbol, cost: Cost | null): void {
    const table = target as Record<string | symbol, unknown>;
    const original = table[key] as Method;
    const wrapped: Method = function (this: unknown, ...args: unknown[]): unknown {
      if (!armed) return original.apply(this, args);
      inside++;
      try {
        if (cost === null && inRegex++ === 0) {
          counts.regexCalls++;
          if (this instanceof RegExp) patterns.add(`/${this.source}/${this.flags}`);
        }
        const result = original.apply(this, args);
        // Nested calls (a built-in calling another) are part of the outer call's cost.
        if (inside === 1) {
          const self = typeof this === "string" || Array.isArray(this) ? this : String(this);
          counts.steps += cost === null ? lengthOf(args[0]) + 1 : cost(self, args, result);
        }
        return result;
      } finally {
        inside--;
        if (cost === null) inRegex--;
      }
    };
    Object.defineProperty(target, key, { value: wrapped, configurable: true, writable: true });
    restore.push(() =>
      Object.defineProperty(target, key, { value: original, configurable: true, writable: true }),
    );
  }

  for (const [name, cost] of Object.entries(STRING_COSTS)) wrap(String.prototype, name, cost);
  for (const [name, cost] of Object.entries(ARRAY_COSTS)) wrap(Array.prototype, name, cost);
  for (const name of REGEXP_METHODS) wrap(RegExp.prototype, name, null);
  for (const symbol of REGEXP_SYMBOLS) wrap(RegExp.prototype, symbol, null);
  // `for…of` over a string reads it whole.
  wrap(String.prototype, Symbol.iterator, whole);
  try {
    armed = true;
    const result = fn();
    armed = false;
    return { result, ...counts, patterns: [...patterns] };
  } finally {
    armed = false;
    for (let i = restore.length - 1; i >= 0; i--) restore[i]!();
  }
}
