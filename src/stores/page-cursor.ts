/**
 * Keyset paging shared by the stores: a page ends at a (createdAt, id) position, and the
 * cursor is that position, opaque to callers. Keyset rather than offset so that a key
 * created or deleted between two pages neither repeats nor skips a record.
 */
import type { PageRequest } from "../types.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface PagePosition {
  createdAt: number;
  id: string;
}

export function pageLimit(page: PageRequest | undefined): number {
  const limit = page?.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1) return DEFAULT_PAGE_SIZE;
  return Math.min(limit, MAX_PAGE_SIZE);
}

export function encodeCursor(position: PagePosition): string {
  return Buffer.from(`${position.createdAt}:${position.id}`, "utf8").toString("base64url");
}

/** A cursor that does not decode is treated as "from the start"; it is never trusted further. */
export function decodeCursor(cursor: string | null | undefined): PagePosition | null {
  if (!cursor) return null;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 1) return null;
  const createdAt = Number(text.slice(0, colon));
  if (!Number.isSafeInteger(createdAt)) return null;
  return { createdAt, id: text.slice(colon + 1) };
}

/** Orders records oldest first, ties broken by id. */
export function comparePosition(a: PagePosition, b: PagePosition): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
