/**
 * The environments a key may be issued for, apart from the key format: the input rules
 * (and through them the key routes, which also run outside Node) read these names without
 * pulling in key generation and its random source.
 */
import type { KeyEnvironment } from "../../types.js";

/** The environments a key may be issued for. */
export const KEY_ENVIRONMENTS: readonly KeyEnvironment[] = Object.freeze(["test", "live"]);

/** Whether `value` is an environment a key may carry. */
export function isKeyEnvironment(value: unknown): value is KeyEnvironment {
  return (KEY_ENVIRONMENTS as readonly unknown[]).includes(value);
}
