/**
 * The Lua that makes each Redis store write atomic: a record's hash, its owner index entry
 * and the change announcement move together or not at all. Redis does not undo the writes
 * of a script that fails half-way, so each script makes every check that can fail (a key of
 * the wrong type, a missing field) before its first write. The scripts derive owner index
 * keys from a prefix, so those keys must hash to the same slot as the record's: on Redis
 * Cluster the store puts one hash tag in front of all of its keys.
 */
import { createHash } from "node:crypto";
import type { RedisClient } from "./redis-connection.js";

/**
 * Index members are `<15-digit createdAt ms>:<id>`, so lexical order is (createdAt, id).
 * `is_index`: an owner index is a sorted set, or absent.
 */
const HELPERS = `
local function member(createdAt, id)
  return string.rep('0', 15 - #createdAt) .. createdAt .. ':' .. id
end
local function is_index(key)
  local t = redis.call('TYPE', key).ok
  return t == 'zset' or t == 'none'
end
local function not_index(key)
  return redis.error_reply('WRONGTYPE ' .. key .. ' is not an owner index (a sorted set)')
end`;

/** KEYS: hash, owner index. ARGV: member, field, value, field, value, ... */
export const CREATE = `${HELPERS}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if not is_index(KEYS[2]) then return not_index(KEYS[2]) end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1`;

/**
 * KEYS: hash. ARGV: owner key prefix, channel, payload, n, then n field/value pairs to set,
 * then the fields to delete. Returns the new hash as a flat list, or nil when missing.
 */
export const UPDATE = `${HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local before = redis.call('HMGET', KEYS[1], 'ownerId', 'createdAt', 'id')
local n = tonumber(ARGV[4])
local owner = before[1]
for i = 5, 4 + 2 * n, 2 do
  if ARGV[i] == 'ownerId' then owner = ARGV[i + 1] end
end
for i = 5 + 2 * n, #ARGV do
  if ARGV[i] == 'ownerId' then return redis.error_reply('ERR a key must keep an ownerId') end
end
local moving = before[1] and owner ~= before[1]
local m
if moving then
  m = member(before[2], before[3])
  if not is_index(ARGV[1] .. before[1]) then return not_index(ARGV[1] .. before[1]) end
  if not is_index(ARGV[1] .. owner) then return not_index(ARGV[1] .. owner) end
end
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 5, 4 + 2 * n)) end
if #ARGV > 4 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 5 + 2 * n)) end
if moving then
  redis.call('ZREM', ARGV[1] .. before[1], m)
  redis.call('ZADD', ARGV[1] .. owner, 0, m)
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return redis.call('HGETALL', KEYS[1])`;

/** KEYS: hash. ARGV: owner key prefix, channel, payload. Returns 1 when deleted. */
export const DELETE = `${HELPERS}
local f = redis.call('HMGET', KEYS[1], 'ownerId', 'createdAt', 'id')
if not f[1] then return 0 end
local index = ARGV[1] .. f[1]
local m = member(f[2], f[3])
if not is_index(index) then return not_index(index) end
redis.call('ZREM', index, m)
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

/** KEYS: hashes. ARGV: lastUsedAt ms for each. Unknown keys are skipped, never created. */
export const TOUCH = `
for i, key in ipairs(KEYS) do
  if redis.call('TYPE', key).ok == 'hash' then redis.call('HSET', key, 'lastUsedAt', ARGV[i]) end
end
return 0`;

/**
 * The steps of credits.ts (spendFrom) on the four credit fields, atomically: refills that
 * fell due first (remaining raised to the amount, never lowered; the schedule moved on by
 * whole intervals), then the cost, refused below zero. No PUBLISH: a spend is not a change
 * of the key. KEYS: hash. ARGV: now ms, cost. Returns false when the key is missing or not
 * metered, else { 1 spent / 0 refused, remaining, amount, interval, refilledAt } with
 * false for a missing refill part.
 */
export const SPEND_CREDITS = `
local f = redis.call('HMGET', KEYS[1], 'creditsRemaining', 'creditsRefillAmount', 'creditsRefillInterval', 'creditsRefilledAt')
if not f[1] then return false end
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local remaining = tonumber(f[1])
local amount = f[2] and tonumber(f[2])
local interval = f[3] and tonumber(f[3])
local at = f[4] and tonumber(f[4])
local refilled = false
if amount and interval and interval > 0 and at and now - at >= interval then
  remaining = math.max(remaining, amount)
  at = at + math.floor((now - at) / interval) * interval
  refilled = true
end
local left = remaining - cost
if left < 0 then
  return { 0, tostring(remaining), f[2], f[3], at and tostring(at) or false }
end
redis.call('HSET', KEYS[1], 'creditsRemaining', tostring(left))
if refilled then redis.call('HSET', KEYS[1], 'creditsRefilledAt', tostring(at)) end
return { 1, tostring(left), f[2], f[3], at and tostring(at) or false }`;

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
  client: RedisClient,
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
