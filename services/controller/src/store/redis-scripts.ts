// The Lua scripts of the Redis metadata store. Redis runs a script atomically, so each
// check-then-write below is one step no other client can interleave with. Every script
// that writes starts with the fencing check: the writer's controller epoch must equal the
// epoch key, which the election lease (lease/redis-lease.ts) increments for every new
// holder; a stale controller's write is refused as
//   STRATUS_FENCED <current epoch>
// Other refusals are error replies starting STRATUS_<WHAT> too (the store maps them to
// errors, redis-store.ts). Keys are the ones of redis-keys.ts, all passed as KEYS.
// Numbers travel as decimal strings; sequence numbers and epochs stay below 2^53, where
// Lua's doubles are exact. Numbers going out (replies, command arguments) are formatted
// with int(): Lua's own number-to-string (%.14g) would write 1e+15.

const INT = `local function int(n) return string.format('%d', n) end`;

const FENCE = `${INT}
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current ~= tonumber(ARGV[1]) then
  return redis.error_reply('STRATUS_FENCED ' .. int(current))
end`;

/**
 * Appends journal entries if the journal ends where the writer expects.
 * KEYS: epoch, journal, journal:base. ARGV: epoch, expected seq of the first entry, entries...
 * Returns the seq of the last entry. Because the expected seq must match, a batch that
 * follows one that was refused or lost is refused too (STRATUS_SEQUENCE <actual next>).
 */
export const APPEND_SCRIPT = `${FENCE}
local nextSeq = tonumber(redis.call('GET', KEYS[3]) or '0') + redis.call('LLEN', KEYS[2])
if nextSeq ~= tonumber(ARGV[2]) then
  return redis.error_reply('STRATUS_SEQUENCE ' .. int(nextSeq))
end
for i = 3, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
return int(nextSeq + #ARGV - 3)`;

/**
 * What load() starts from, read in one atomic step.
 * KEYS: epoch, snapshot, journal:base, journal.
 * Returns [epoch, snapshot id|nil, upToSeq, chunks, bytes, crc, format, journal base, journal length].
 */
export const LOAD_HEAD_SCRIPT = `${INT}
local meta = redis.call('HMGET', KEYS[2], 'id', 'upToSeq', 'chunks', 'bytes', 'crc', 'format')
return {redis.call('GET', KEYS[1]) or '0', meta[1], meta[2], meta[3], meta[4], meta[5], meta[6],
  redis.call('GET', KEYS[3]) or '0', int(redis.call('LLEN', KEYS[4]))}`;

/**
 * Reads journal entries from a sequence number: at most ARGV[2] entries and, past the
 * first, at most ARGV[3] bytes. KEYS: journal, journal:base. ARGV: from seq, max count, max bytes.
 * Returns [journal base, entries...]; the caller checks the base did not move past `from`.
 */
export const JOURNAL_PAGE_SCRIPT = `${INT}
local base = tonumber(redis.call('GET', KEYS[2]) or '0')
local from = tonumber(ARGV[1]) - base
if from < 0 then return {int(base)} end
local items = redis.call('LRANGE', KEYS[1], int(from), int(from + tonumber(ARGV[2]) - 1))
local out = {int(base)}
local bytes = 0
for i = 1, #items do
  bytes = bytes + #items[i]
  if i > 1 and bytes > tonumber(ARGV[3]) then break end
  out[#out + 1] = items[i]
end
return out`;

/**
 * Reads list values from an index: at most ARGV[2] and, past the first, ARGV[3] bytes.
 * KEYS: list. ARGV: from index, max count, max bytes. Returns the values.
 */
export const LIST_PAGE_SCRIPT = `${INT}
local items = redis.call('LRANGE', KEYS[1], ARGV[1], int(tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1))
local out = {}
local bytes = 0
for i = 1, #items do
  bytes = bytes + #items[i]
  if i > 1 and bytes > tonumber(ARGV[3]) then break end
  out[#out + 1] = items[i]
end
return out`;

/**
 * Starts a snapshot: allocates its id and marks it pending.
 * KEYS: epoch, snapshot:next-id, snapshot:pending. ARGV: epoch.
 * Returns [new id, ids of snapshots left pending by earlier attempts...] (the caller drops those).
 */
export const SNAPSHOT_BEGIN_SCRIPT = `${FENCE}
local stale = redis.call('SMEMBERS', KEYS[3])
local id = int(redis.call('INCR', KEYS[2]))
redis.call('SADD', KEYS[3], id)
local out = {id}
for i = 1, #stale do out[#out + 1] = stale[i] end
return out`;

/**
 * Appends one payload chunk to a pending snapshot.
 * KEYS: epoch, snapshot:pending, snapshot:<id>. ARGV: epoch, id, chunk.
 * Refused (STRATUS_SNAPSHOT_ABANDONED) once the snapshot is no longer pending: a later
 * snapshot dropped it, so nothing recreates its keys. Returns the chunk count.
 */
export const SNAPSHOT_CHUNK_SCRIPT = `${FENCE}
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0 then
  return redis.error_reply('STRATUS_SNAPSHOT_ABANDONED ' .. ARGV[2])
end
return redis.call('RPUSH', KEYS[3], ARGV[3])`;

/**
 * Forgets a snapshot that was never switched to: removes it from the pending set and
 * deletes its chunks. KEYS: snapshot:pending, snapshot:<id>. ARGV: id. Not fenced: it only
 * removes what no loader can reach.
 */
export const SNAPSHOT_DROP_SCRIPT = `
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('UNLINK', KEYS[2])
return 1`;

/**
 * Makes a completely written snapshot the current one, in one atomic step: points the
 * snapshot hash at it, trims the journal up to its upToSeq, moves journal:base, deletes the
 * previous snapshot's chunks. A crash before this step leaves the old snapshot and the
 * whole journal; after it, the new snapshot and the journal after it.
 * KEYS: epoch, snapshot, snapshot:pending, snapshot:<new id>, snapshot:<old id> (or any key
 * when there is none), journal, journal:base.
 * ARGV: epoch, new id, upToSeq, chunks, bytes, crc, format, expected old id ('' for none).
 */
export const SNAPSHOT_SWITCH_SCRIPT = `${FENCE}
local oldId = redis.call('HGET', KEYS[2], 'id') or ''
if oldId ~= ARGV[8] then
  return redis.error_reply('STRATUS_SNAPSHOT_MOVED ' .. oldId)
end
if redis.call('SISMEMBER', KEYS[3], ARGV[2]) == 0 then
  return redis.error_reply('STRATUS_SNAPSHOT_ABANDONED ' .. ARGV[2])
end
local chunks = redis.call('LLEN', KEYS[4])
if chunks ~= tonumber(ARGV[4]) then
  return redis.error_reply('STRATUS_SNAPSHOT_INCOMPLETE ' .. int(chunks))
end
local base = tonumber(redis.call('GET', KEYS[7]) or '0')
local length = redis.call('LLEN', KEYS[6])
local upTo = tonumber(ARGV[3])
if upTo < base - 1 or upTo >= base + length then
  return redis.error_reply('STRATUS_SNAPSHOT_RANGE ' .. int(base) .. ' ' .. int(base + length))
end
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'upToSeq', ARGV[3], 'chunks', ARGV[4], 'bytes', ARGV[5], 'crc', ARGV[6], 'format', ARGV[7])
redis.call('SREM', KEYS[3], ARGV[2])
redis.call('LTRIM', KEYS[6], int(upTo + 1 - base), -1)
redis.call('SET', KEYS[7], int(upTo + 1))
if oldId ~= '' then redis.call('UNLINK', KEYS[5]) end
return 'OK'`;
