/** `gatehouse secret`: an HS256 secret with the full 256 bits that RFC 7518 §3.2 asks for. */
import { randomBytes } from "node:crypto";
import { COMMON_FLAGS, expectPositionals, parseFlags } from "../args.js";
import { SECRET_HELP } from "../help.js";
import { toJson } from "../io.js";
import type { CliIo } from "../io.js";

export function secretCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(args, COMMON_FLAGS);
  if (values.help) {
    io.out(SECRET_HELP);
    return Promise.resolve();
  }
  expectPositionals(positionals, []);
  const secret = randomBytes(32).toString("base64url");
  io.out(values.json ? toJson({ secret, alg: "HS256", bits: 256, encoding: "base64url" }) : secret);
  return Promise.resolve();
}
