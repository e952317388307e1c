// KafkaServer options: every limit the listener enforces, with its default and why.
// Defaults follow Kafka's broker settings where one exists (socket.request.max.bytes,
// connections.max.idle.ms, queued.max.request.bytes-like budgets).

import type { Clock } from '@stratus/runtime';
import { systemClock } from '@stratus/runtime';
import type { ConnectionInfo } from '../dispatcher.ts';

const MiB = 1024 * 1024;

export interface KafkaServerOptions {
  /** Interface to bind. Default '0.0.0.0' (Kafka's `listeners=PLAINTEXT://:9092`). */
  readonly host?: string;
  /** Port to bind; 0 picks a free one (see listen()'s result). Default 9092. */
  readonly port?: number;
  /** Kernel accept queue length. Default 511 (Node's default). */
  readonly backlog?: number;
  /** Largest request frame accepted (Kafka `socket.request.max.bytes`). Default 100 MiB. */
  readonly socketRequestMaxBytes?: number;
  /** Open connections beyond this are closed on accept. Default 10,000. */
  readonly maxConnections?: number;
  /** Requests dispatched but not yet answered, per connection. Default 100. */
  readonly maxInFlightRequestsPerConnection?: number;
  /** Request bytes in flight per connection. Default 100 MiB. */
  readonly maxInFlightBytesPerConnection?: number;
  /** Request bytes in flight across all connections. Default 512 MiB. */
  readonly maxInFlightBytesTotal?: number;
  /** Stop reading requests while more response bytes than this wait in user space. Default 4 MiB. */
  readonly socketWriteHighWaterBytes?: number;
  /** Close connections with nothing in flight and no bytes received for this long. Default 10 min. */
  readonly connectionsMaxIdleMs?: number;
  /** How often idle connections are looked for (capped at connectionsMaxIdleMs). Default 1 s. */
  readonly idleCheckIntervalMs?: number;
  /**
   * After the broker closes its side (FIN), how long it keeps discarding the client's
   * bytes before destroying the socket. Closing with unread bytes makes the kernel send a
   * reset, which can destroy responses the client has not read yet. Default 5 s.
   */
  readonly closeLingerMs?: number;
  /** Time source for idle checks, lingering and drain timeouts. Default systemClock. */
  readonly clock?: Clock;
  /** Told about every closed connection, for logs. */
  readonly onConnectionClosed?: (conn: ConnectionInfo, reason: string) => void;
}

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly backlog: number;
  readonly socketRequestMaxBytes: number;
  readonly maxConnections: number;
  readonly maxInFlightRequestsPerConnection: number;
  readonly maxInFlightBytesPerConnection: number;
  readonly maxInFlightBytesTotal: number;
  readonly socketWriteHighWaterBytes: number;
  readonly connectionsMaxIdleMs: number;
  readonly idleCheckIntervalMs: number;
  readonly closeLingerMs: number;
  readonly clock: Clock;
  readonly onConnectionClosed: ((conn: ConnectionInfo, reason: string) => void) | undefined;
}

export const KAFKA_SERVER_DEFAULTS = {
  host: '0.0.0.0',
  port: 9092,
  backlog: 511,
  socketRequestMaxBytes: 100 * MiB,
  maxConnections: 10_000,
  maxInFlightRequestsPerConnection: 100,
  maxInFlightBytesPerConnection: 100 * MiB,
  maxInFlightBytesTotal: 512 * MiB,
  socketWriteHighWaterBytes: 4 * MiB,
  connectionsMaxIdleMs: 10 * 60_000,
  idleCheckIntervalMs: 1_000,
  closeLingerMs: 5_000,
} as const;

/** The size prefix is a signed int32, so no frame can be larger. */
const INT32_MAX = 2 ** 31 - 1;

function integer(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`KafkaServer option ${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

export function resolveOptions(options: KafkaServerOptions): ResolvedOptions {
  const d = KAFKA_SERVER_DEFAULTS;
  const idleMs = integer('connectionsMaxIdleMs', options.connectionsMaxIdleMs ?? d.connectionsMaxIdleMs, 1);
  return {
    host: options.host ?? d.host,
    port: integer('port', options.port ?? d.port, 0, 65_535),
    backlog: integer('backlog', options.backlog ?? d.backlog, 1),
    socketRequestMaxBytes: integer('socketRequestMaxBytes', options.socketRequestMaxBytes ?? d.socketRequestMaxBytes, 0, INT32_MAX),
    maxConnections: integer('maxConnections', options.maxConnections ?? d.maxConnections, 1),
    maxInFlightRequestsPerConnection: integer(
      'maxInFlightRequestsPerConnection',
      options.maxInFlightRequestsPerConnection ?? d.maxInFlightRequestsPerConnection,
      1,
    ),
    maxInFlightBytesPerConnection: integer('maxInFlightBytesPerConnection', options.maxInFlightBytesPerConnection ?? d.maxInFlightBytesPerConnection, 1),
    maxInFlightBytesTotal: integer('maxInFlightBytesTotal', options.maxInFlightBytesTotal ?? d.maxInFlightBytesTotal, 1),
    socketWriteHighWaterBytes: integer('socketWriteHighWaterBytes', options.socketWriteHighWaterBytes ?? d.socketWriteHighWaterBytes, 1),
    connectionsMaxIdleMs: idleMs,
    idleCheckIntervalMs: Math.min(integer('idleCheckIntervalMs', options.idleCheckIntervalMs ?? d.idleCheckIntervalMs, 1), idleMs),
    closeLingerMs: integer('closeLingerMs', options.closeLingerMs ?? d.closeLingerMs, 0),
    clock: options.clock ?? systemClock,
    onConnectionClosed: options.onConnectionClosed,
  };
}
