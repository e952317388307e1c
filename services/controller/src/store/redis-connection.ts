// The one file that imports ioredis: makes a connection from a parsed Redis URL
// (standalone, TLS or Sentinel) and exposes the few calls the metadata store and the
// controller lease need, with errors classified here, at the boundary:
//   'unavailable'  not connected, connection lost, refused, DNS: the command may or may not have run
//   'timeout'      no reply within commandTimeoutMs: the command may or may not have run
//   'reply'        Redis answered with an error (a script's refusal among them): it did not run
//
// Settings chosen for a store that must never apply a write twice or out of order:
// - no offline queue and no resending after a reconnect: a command issued while
//   disconnected fails at once, and one in flight when the link drops fails rather than
//   running again on the next connection (ioredis' defaults queue and resend);
// - reconnection is automatic (deterministic backoff, no jitter) so that the lease and
//   a later store can use the same connection once Redis is back;
// - RESP2, so script replies have one shape whatever the server version.

import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { RedisUrl } from './redis-url.ts';

export type RedisArg = string | number | Buffer;

export type RedisErrorKind = 'unavailable' | 'timeout' | 'reply';

export class RedisCommandError extends Error {
  readonly kind: RedisErrorKind;
  /** Redis' error reply text (kind 'reply'), e.g. "STRATUS_FENCED 7". */
  readonly reply: string | undefined;

  constructor(kind: RedisErrorKind, message: string, options: { cause?: unknown; reply?: string } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'RedisCommandError';
    this.kind = kind;
    this.reply = options.reply;
  }
}

export interface RedisConnectionOptions {
  /** Longest wait for a connection (TCP, TLS, AUTH, ready check). */
  readonly connectTimeoutMs: number;
  /** Longest wait for any reply; must exceed the WAIT timeout the caller uses. */
  readonly commandTimeoutMs: number;
  /** Delay before the first reconnection attempt after a lost connection; doubles per attempt. */
  readonly reconnectMinMs: number;
  /** Longest delay between reconnection attempts. */
  readonly reconnectMaxMs: number;
  /** TLS settings (CA, client certificate, servername, ...) for rediss:// and rediss+sentinel://. */
  readonly tls?: ConnectionOptions;
  readonly sentinelUsername?: string;
  readonly sentinelPassword?: string;
  /** CLIENT SETNAME, to tell connections apart in CLIENT LIST. */
  readonly connectionName?: string;
}

export interface RedisConnection {
  /** The URL without its password. */
  readonly url: string;
  /** EVAL `lua` (the script text each time: no NOSCRIPT retry can reorder pipelined calls). */
  evalScript(lua: string, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown>;
  /** Any command; bulk replies as strings. */
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
  /** Any command; bulk replies as Buffers (binary values). */
  callBuffer(command: string, ...args: RedisArg[]): Promise<unknown>;
  /** QUIT, or a hard disconnect when that fails; idempotent. */
  close(): Promise<void>;
}

export async function connectRedis(target: RedisUrl, o: RedisConnectionOptions): Promise<RedisConnection> {
  const tls = target.tls ? { ...o.tls } : undefined;
  const retryStrategy = (times: number): number => Math.min(o.reconnectMaxMs, o.reconnectMinMs * 2 ** Math.min(30, times - 1));
  const common: RedisOptions = {
    db: target.db,
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
    ...(o.connectionName !== undefined ? { connectionName: o.connectionName } : {}),
    connectTimeout: o.connectTimeoutMs,
    commandTimeout: o.commandTimeoutMs,
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy,
    protocol: 2,
    disableClientInfo: true,
    maintNotifications: 'disabled',
  };
  const options: RedisOptions =
    target.mode === 'sentinel'
      ? {
          ...common,
          sentinels: target.endpoints.map((e) => ({ host: e.host, port: e.port })),
          name: target.masterName!,
          role: 'master',
          ...(o.sentinelUsername !== undefined ? { sentinelUsername: o.sentinelUsername } : {}),
          ...(o.sentinelPassword !== undefined ? { sentinelPassword: o.sentinelPassword } : {}),
          sentinelRetryStrategy: retryStrategy,
          sentinelCommandTimeout: o.commandTimeoutMs,
          ...(tls !== undefined ? { tls, enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
        }
      : { ...common, host: target.endpoints[0]!.host, port: target.endpoints[0]!.port, ...(tls !== undefined ? { tls } : {}) };
  const redis = new Redis({ ...options, replyMapping: 'legacy' });
  let lastError: Error | undefined;
  // Without a listener ioredis prints every connection error itself; the last one is kept
  // to explain the failures of later commands.
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new RedisCommandError('unavailable', `Redis at ${target.redacted} is unreachable: ${describe(lastError ?? err)}`, { cause: err });
  }
  const classify = (command: string, err: unknown): RedisCommandError => {
    if (err instanceof Error && err.name === 'ReplyError') return new RedisCommandError('reply', `Redis at ${target.redacted} refused ${command}: ${err.message}`, { cause: err, reply: err.message });
    if (err instanceof Error && /timed out/i.test(err.message)) {
      return new RedisCommandError('timeout', `Redis at ${target.redacted} did not answer ${command} within ${o.commandTimeoutMs} ms`, { cause: err });
    }
    const why = lastError !== undefined && redis.status !== 'ready' ? `${describe(err)} (${describe(lastError)})` : describe(err);
    return new RedisCommandError('unavailable', `Redis at ${target.redacted} is unavailable for ${command}: ${why}`, { cause: err });
  };
  let closed = false;
  return {
    url: target.redacted,
    evalScript: (lua, keys, args) => redis.eval(lua, keys.length, ...keys, ...args).catch((err: unknown) => Promise.reject(classify('EVAL', err))),
    call: (command, ...args) => redis.call(command, ...args).catch((err: unknown) => Promise.reject(classify(command, err))),
    callBuffer: (command, ...args) => redis.callBuffer(command, ...args).catch((err: unknown) => Promise.reject(classify(command, err))),
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        if (redis.status === 'ready') await redis.quit();
      } catch {
        // The link is gone already: nothing to say goodbye to.
      } finally {
        redis.disconnect();
      }
    },
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}
