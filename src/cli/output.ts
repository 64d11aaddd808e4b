/**
 * How records look on a terminal. `--json` bypasses all of this: scripts get the record as
 * the library returns it (never a hash: the key manager's public records carry none).
 */
import type { ManagedKey } from "../manage/key-input.js";

function when(value: Date | null | undefined): string {
  if (value === null || value === undefined) return "-";
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function list(values: readonly string[]): string {
  return values.length === 0 ? "-" : values.join(",");
}

/** One record, one `field: value` per line. */
export function formatRecord(record: ManagedKey): string {
  const rows: Array<[string, string]> = [
    ["id", record.id],
    ["name", record.name],
    ["owner", `${record.ownerId} (${record.ownerType})`],
    ["prefix", record.prefix],
    ["environment", record.environment ?? "-"],
    ["status", record.status],
    ["scopes", list(record.scopes)],
    ["roles", list(record.roles)],
    ["created", when(record.createdAt)],
    ["last used", when(record.lastUsedAt)],
    ["expires", when(record.expiresAt)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`).join("\n");
}

/** Records as an aligned table, or a plain note when there are none. */
export function formatTable(records: readonly ManagedKey[]): string {
  if (records.length === 0) return "no keys";
  const header = ["ID", "NAME", "STATUS", "SCOPES", "ROLES", "CREATED", "LAST USED", "EXPIRES"];
  const rows = records.map((r) => [
    r.id,
    r.name,
    r.status,
    list(r.scopes),
    list(r.roles),
    when(r.createdAt),
    when(r.lastUsedAt),
    when(r.expiresAt),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export const SHOWN_ONCE_WARNING =
  "Store this key now: it is kept only as a hash and cannot be shown again.";
