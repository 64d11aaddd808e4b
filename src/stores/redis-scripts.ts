/**
 * The Lua that makes each Redis store write atomic: a record's hash, its owner index entry
 * and the change announcement move together or not at all. Scripts compute the owner
 * index key from the prefix, so they assume one Redis server (not Redis Cluster).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/** Index members are `<15-digit createdAt ms>:<id>`, so lexical order is (createdAt, id). */
const MEMBER = `
local function member(createdAt, id)
  return string.rep('0', 15 - #createdAt) .. createdAt .. ':' .. id
end`;

/** KEYS: hash, owner index. ARGV: member, field, value, field, value, ... */
export const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1`;

/**
 * KEYS: hash. ARGV: owner key prefix, channel, payload, n, then n field/value pairs to set,
 * then the fields to delete. Returns the new hash as a flat list, or nil when missing.
 */
export const UPDATE = `${MEMBER}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local before = redis.call('HMGET', KEYS[1], 'ownerId', 'createdAt', 'id')
local n = tonumber(ARGV[4])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 5, 4 + 2 * n)) end
if #ARGV > 4 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 5 + 2 * n)) end
local owner = redis.call('HGET', KEYS[1], 'ownerId')
if owner ~= before[1] then
  local m = member(before[2], before[3])
  redis.call('ZREM', ARGV[1] .. before[1], m)
  redis.call('ZADD', ARGV[1] .. owner, 0, m)
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return redis.call('HGETALL', KEYS[1])`;

/** KEYS: hash. ARGV: owner key prefix, channel, payload. Returns 1 when deleted. */
export const DELETE = `${MEMBER}
local f = redis.call('HMGET', KEYS[1], 'ownerId', 'createdAt', 'id')
if not f[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[1] .. f[1], member(f[2], f[3]))
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

/** KEYS: hashes. ARGV: lastUsedAt ms for each. Unknown keys are skipped, never created. */
export const TOUCH = `
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('HSET', key, 'lastUsedAt', ARGV[i]) end
end
return 0`;

/**
 * Fixed window on the server's clock, so that every instance agrees on the window.
 * KEYS: counter prefix. ARGV: limit, window ms. Returns { count, ms left in the window }.
 */
export const RATE_LIMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local slot = now - (now % window)
local key = KEYS[1] .. ':' .. slot
local count = redis.call('INCR', key)
if count == 1 then redis.call('PEXPIRE', key, window + 1000) end
return { count, slot + window - now }`;

const digests = new Map<string, string>();

/** EVALSHA, falling back to EVAL once when the server does not have the script cached. */
export async function runScript(
  client: Redis,
  script: string,
  keys: string[],
  args: Array<string | number>,
): Promise<unknown> {
  let sha = digests.get(script);
  if (!sha) {
    sha = createHash("sha1").update(script).digest("hex");
    digests.set(script, sha);
  }
  try {
    return await client.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return client.eval(script, keys.length, ...keys, ...args);
  }
}
