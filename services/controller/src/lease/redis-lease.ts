// The controller election lease in Redis: at most one controller holds it at a time, and
// each new holder gets a new, strictly larger controller epoch. The epoch key is the one
// the metadata store's scripts check (redis-keys.ts), so a store opened with epoch E
// refuses to write as soon as a newer holder exists: fencing does not rely on clocks.
//
//   <p>controller:lease   "<epoch> <holderId>", expiring after the lease time (Redis' PX)
//   <p>controller:epoch   incremented (INCR) when a holder wins a free lease; never lowered
//
// Each operation is one Lua script (atomic): acquire wins only a free lease (or returns
// the caller's own, so a retried acquire whose reply was lost is harmless); renew and
// release act only for the same holder and epoch. Holder ids must be unique per process
// incarnation (e.g. host, pid and start time): two processes sharing one would share an
// epoch. When replicas are configured (`?wait=n`), acquire and renew wait for them, so a
// Redis failover cannot forget an epoch already handed out.
//
// This class only talks to Redis; lease-keeper.ts schedules renewals with a Clock.

import type { ConnectionOptions } from 'node:tls';
import { connectRedis, RedisCommandError } from '../store/redis-connection.ts';
import type { RedisConnection } from '../store/redis-connection.ts';
import { redisKeys } from '../store/redis-keys.ts';
import type { RedisKeys } from '../store/redis-keys.ts';
import { readRedisParams } from '../store/redis-params.ts';
import type { RedisParams } from '../store/redis-params.ts';
import { parseRedisUrl } from '../store/redis-url.ts';

/** Longest holder id: it travels in every lease value. */
export const MAX_HOLDER_ID_CHARS = 200;
/** Lease times outside this range are mistakes (too short to renew over a network, or a failover too slow to notice). */
export const MIN_LEASE_MS = 10;
export const MAX_LEASE_MS = 600_000;

const INT = `local function int(n) return string.format('%d', n) end`;

/** KEYS: lease, epoch. ARGV: holder, lease ms. Returns {1, epoch} when held by the caller, else {0, epoch, holder, pttl}. */
const ACQUIRE_SCRIPT = `${INT}
local value = redis.call('GET', KEYS[1])
if value then
  local sp = string.find(value, ' ', 1, true)
  local epoch, holder = string.sub(value, 1, sp - 1), string.sub(value, sp + 1)
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, epoch}
  end
  return {0, epoch, holder, int(redis.call('PTTL', KEYS[1]))}
end
local epoch = int(redis.call('INCR', KEYS[2]))
redis.call('SET', KEYS[1], epoch .. ' ' .. ARGV[1], 'PX', ARGV[2])
return {1, epoch}`;

/** KEYS: lease. ARGV: "<epoch> <holder>", lease ms. Returns 1 when renewed, 0 when the lease is not (any longer) this one. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** KEYS: lease. ARGV: "<epoch> <holder>". Returns 1 when released, 0 when it was not held so. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

/** KEYS: lease, epoch. Returns {value or false, pttl, epoch}. */
const CURRENT_SCRIPT = `${INT}
return {redis.call('GET', KEYS[1]), int(redis.call('PTTL', KEYS[1])), redis.call('GET', KEYS[2]) or '0'}`;

export interface LeaseHolder {
  readonly holderId: string;
  readonly epoch: number;
  /** Time left before Redis expires the lease, as Redis saw it when asked. */
  readonly remainingMs: number;
}

export type AcquireResult = { readonly acquired: true; readonly epoch: number } | { readonly acquired: false; readonly holder: LeaseHolder };

export class LeaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LeaseError';
  }
}

export interface RedisControllerLeaseOptions {
  /** The metadata store's Redis URL (the same prefix and wait parameters apply). */
  readonly url: string;
  readonly params?: Partial<RedisParams>;
  readonly tls?: ConnectionOptions;
  readonly sentinelUsername?: string;
  readonly sentinelPassword?: string;
  /** First delay before reconnecting after a lost connection (doubling). Default 100 ms. */
  readonly reconnectMinMs?: number;
  /** Longest delay between reconnection attempts. Default 1,000 ms (a lease lasts seconds). */
  readonly reconnectMaxMs?: number;
}

export class RedisControllerLease {
  readonly url: string;
  private readonly conn: RedisConnection;
  private readonly keys: RedisKeys;
  private readonly params: RedisParams;

  private constructor(conn: RedisConnection, keys: RedisKeys, params: RedisParams) {
    this.url = conn.url;
    this.conn = conn;
    this.keys = keys;
    this.params = params;
  }

  static async open(options: RedisControllerLeaseOptions): Promise<RedisControllerLease> {
    const target = parseRedisUrl(options.url);
    const params = readRedisParams(target, options.params);
    const conn = await connectRedis(target, {
      connectTimeoutMs: params.connectTimeoutMs,
      commandTimeoutMs: params.commandTimeoutMs,
      reconnectMinMs: options.reconnectMinMs ?? 100,
      reconnectMaxMs: options.reconnectMaxMs ?? 1000,
      connectionName: 'stratus-controller-lease',
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      ...(options.sentinelUsername !== undefined ? { sentinelUsername: options.sentinelUsername } : {}),
      ...(options.sentinelPassword !== undefined ? { sentinelPassword: options.sentinelPassword } : {}),
    });
    return new RedisControllerLease(conn, redisKeys(params.prefix), params);
  }

  /** Takes the lease when it is free (a new, larger epoch) or already the caller's (its epoch, extended). */
  async acquire(holderId: string, leaseMs: number): Promise<AcquireResult> {
    checkHolder(holderId);
    checkLeaseMs(leaseMs);
    const reply = (await this.run('acquire', ACQUIRE_SCRIPT, [this.keys.lease, this.keys.epoch], [holderId, leaseMs])) as string[] | number[];
    if (Number(reply[0]) === 1) {
      await this.replicate('acquire');
      return { acquired: true, epoch: Number(reply[1]) };
    }
    return { acquired: false, holder: { epoch: Number(reply[1]), holderId: String(reply[2]), remainingMs: Math.max(0, Number(reply[3])) } };
  }

  /** Extends the lease of `holderId` at `epoch`; false when it expired or another holder has it (the caller lost it). */
  async renew(holderId: string, epoch: number, leaseMs: number): Promise<boolean> {
    checkHolder(holderId);
    checkLeaseMs(leaseMs);
    const renewed = Number(await this.run('renew', RENEW_SCRIPT, [this.keys.lease], [`${epoch} ${holderId}`, leaseMs])) === 1;
    if (renewed) await this.replicate('renew');
    return renewed;
  }

  /** Gives the lease up at once (a graceful stop), so a standby need not wait for it to expire. */
  async release(holderId: string, epoch: number): Promise<boolean> {
    checkHolder(holderId);
    return Number(await this.run('release', RELEASE_SCRIPT, [this.keys.lease], [`${epoch} ${holderId}`])) === 1;
  }

  /** Who holds the lease now (null: nobody), and the current controller epoch. */
  async current(): Promise<{ readonly holder: LeaseHolder | null; readonly epoch: number }> {
    const [value, pttl, epoch] = (await this.run('read', CURRENT_SCRIPT, [this.keys.lease, this.keys.epoch], [])) as [string | null, string, string];
    if (value === null) return { holder: null, epoch: Number(epoch) };
    const sp = value.indexOf(' ');
    return { holder: { epoch: Number(value.slice(0, sp)), holderId: value.slice(sp + 1), remainingMs: Math.max(0, Number(pttl)) }, epoch: Number(epoch) };
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  private async run(what: string, lua: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.conn.evalScript(lua, keys, args);
    } catch (err) {
      throw new LeaseError(`controller lease ${what} at ${this.url} failed: ${err instanceof RedisCommandError ? err.message : String(err)}`, { cause: err });
    }
  }

  private async replicate(what: string): Promise<void> {
    const { wait, waitTimeoutMs } = this.params;
    if (wait === 0) return;
    let acked: number;
    try {
      acked = Number(await this.conn.call('WAIT', wait, waitTimeoutMs));
    } catch (err) {
      throw new LeaseError(`controller lease ${what} at ${this.url}: WAIT failed: ${(err as Error).message}`, { cause: err });
    }
    if (acked < wait) throw new LeaseError(`controller lease ${what} at ${this.url}: only ${acked} of ${wait} replica(s) acknowledged within ${waitTimeoutMs} ms (WAIT)`);
  }
}

function checkHolder(holderId: string): void {
  if (holderId.length === 0 || holderId.length > MAX_HOLDER_ID_CHARS || /\s/.test(holderId)) {
    throw new TypeError(`lease holder id must be 1 to ${MAX_HOLDER_ID_CHARS} characters without whitespace, got ${JSON.stringify(holderId)}`);
  }
}

function checkLeaseMs(leaseMs: number): void {
  if (!Number.isSafeInteger(leaseMs) || leaseMs < MIN_LEASE_MS || leaseMs > MAX_LEASE_MS) throw new RangeError(`lease time must be an integer from ${MIN_LEASE_MS} to ${MAX_LEASE_MS} ms, got ${String(leaseMs)}`);
}
