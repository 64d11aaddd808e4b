/**
 * `gatehouse keys …`: the key manager from a terminal. Each subcommand checks its flags
 * before it opens the store, and the key manager checks values (names, scopes) before it
 * writes, so a refused command changes no key.
 *
 * `revoke` deletes the record: the key stops working at once, everywhere the store's
 * invalidation reaches, and cannot be brought back. `disable` is the reversible stop.
 */
import type { OwnerType } from "../../types.js";
import {
  COMMON_FLAGS,
  STORE_FLAGS,
  expectPositionals,
  listFlag,
  parseFlags,
  required,
} from "../args.js";
import type { FlagSpec } from "../args.js";
import { notFound, usageError } from "../errors.js";
import { toJson } from "../io.js";
import type { CliIo } from "../io.js";
import { SHOWN_ONCE_WARNING, formatRecord, formatTable } from "../output.js";
import { OWNER_TYPES, type ManagedKey } from "../../manage/key-input.js";
import { withSession } from "../session.js";
import { expiryDate, spanMs } from "../time.js";
import { KEYS_HELP, KEYS_SUBCOMMAND_HELP } from "../help.js";
import type { KeysSubcommand } from "../help.js";

const BASE = { ...COMMON_FLAGS, ...STORE_FLAGS } as const satisfies FlagSpec;

function notFoundFor(id: string): never {
  throw notFound(`no key with id '${id}'`);
}

async function create(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(args, {
    ...BASE,
    owner: { type: "string" },
    "owner-type": { type: "string" },
    name: { type: "string" },
    scopes: { type: "string" },
    roles: { type: "string" },
    expires: { type: "string" },
  });
  expectPositionals(positionals, []);
  const ownerId = required(values.owner, "owner");
  const name = required(values.name, "name");
  const ownerType = (values["owner-type"] ?? "user") as OwnerType;
  if (!OWNER_TYPES.includes(ownerType)) {
    throw usageError(`--owner-type must be one of ${OWNER_TYPES.join(", ")}`);
  }
  const expiresAt = values.expires === undefined ? null : expiryDate(values.expires);
  const input = {
    ownerId,
    ownerType,
    name,
    scopes: listFlag(values.scopes) ?? [],
    roles: listFlag(values.roles) ?? [],
    expiresAt,
  };
  await withSession(values, io, async ({ keys }) => {
    const created = await keys.create(input);
    if (values.json) {
      io.out(toJson(created));
    } else {
      io.out(created.key);
      io.err(`Created key ${created.record.id} "${created.record.name}" for ${ownerId}.`);
    }
    io.err(`Warning: ${SHOWN_ONCE_WARNING}`);
  });
}

async function list(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(args, { ...BASE, owner: { type: "string" } });
  expectPositionals(positionals, []);
  const ownerId = required(values.owner, "owner");
  await withSession(values, io, async ({ keys }) => {
    const records: ManagedKey[] = [];
    let cursor: string | null = null;
    // Every page: a listing that silently stops at the first 50 would mislead an operator.
    do {
      const page = await keys.list(ownerId, { limit: 500, cursor });
      records.push(...page.items);
      cursor = page.next;
    } while (cursor !== null);
    io.out(values.json ? toJson(records) : formatTable(records));
  });
}

async function get(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(args, BASE);
  const [id] = expectPositionals(positionals, ["id"]) as [string];
  await withSession(values, io, async ({ keys }) => {
    const record = (await keys.admin.get(id)) ?? notFoundFor(id);
    io.out(values.json ? toJson(record) : formatRecord(record));
  });
}

function setEnabled(enabled: boolean) {
  return async (args: string[], io: CliIo): Promise<void> => {
    const { values, positionals } = parseFlags(args, BASE);
    const [id] = expectPositionals(positionals, ["id"]) as [string];
    await withSession(values, io, async ({ keys }) => {
      const record = (await keys.admin.update(id, { enabled })) ?? notFoundFor(id);
      io.out(values.json ? toJson(record) : `${enabled ? "Enabled" : "Disabled"} key ${id}.`);
    });
  };
}

async function rotate(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(args, { ...BASE, overlap: { type: "string" } });
  const [id] = expectPositionals(positionals, ["id"]) as [string];
  const overlap = values.overlap === undefined ? 0 : spanMs(values.overlap, "overlap");
  await withSession(values, io, async ({ keys }) => {
    const created = (await keys.admin.rotate(id, { overlap })) ?? notFoundFor(id);
    if (values.json) {
      io.out(toJson({ ...created, replaced: id }));
    } else {
      io.out(created.key);
      // Read back, not computed: rotation never pushes an earlier expiry later.
      const old = overlap === 0 ? null : await keys.admin.get(id);
      const until = old?.expiresAt?.toISOString() ?? new Date(Date.now() + overlap).toISOString();
      io.err(
        overlap === 0
          ? `Rotated ${id} -> ${created.record.id}; the old key is disabled now.`
          : `Rotated ${id} -> ${created.record.id}; the old key keeps working until ${until}.`,
      );
    }
    io.err(`Warning: ${SHOWN_ONCE_WARNING}`);
  });
}

async function revoke(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(args, BASE);
  const [id] = expectPositionals(positionals, ["id"]) as [string];
  await withSession(values, io, async ({ keys }) => {
    if (!(await keys.admin.delete(id))) notFoundFor(id);
    io.out(values.json ? toJson({ id, revoked: true }) : `Revoked key ${id}: it no longer works.`);
  });
}

const SUBCOMMANDS: Record<KeysSubcommand, (args: string[], io: CliIo) => Promise<void>> = {
  create,
  list,
  get,
  disable: setEnabled(false),
  enable: setEnabled(true),
  rotate,
  revoke,
};

function isSubcommand(name: string): name is KeysSubcommand {
  return Object.hasOwn(SUBCOMMANDS, name);
}

export async function keysCommand(args: string[], io: CliIo): Promise<void> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(KEYS_HELP);
    return;
  }
  if (!isSubcommand(name))
    throw usageError(`unknown command 'keys ${name}' (see gatehouse keys --help)`);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(KEYS_SUBCOMMAND_HELP[name]);
    return;
  }
  await SUBCOMMANDS[name](rest, io);
}
