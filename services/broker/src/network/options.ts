// KafkaServer options: every limit the listener enforces, with its default and why.
// Defaults follow Kafka's broker settings where one exists (socket.request.max.bytes,
// connections.max.idle.ms, max.connections.per.ip, queued.max.request.bytes-like budgets).

import type { Clock } from '@stratus/runtime';
import { systemClock } from '@stratus/runtime';
import type { SecurityProtocol } from '../auth/principal.ts';
import type { ConnectionInfo } from '../dispatcher.ts';
import type { ListenerTls } from './tls/tls-handshake.ts';
import { parseConnectionsPerIpOverrides, UNLIMITED_CONNECTIONS_PER_IP } from './ip-limits.ts';

const MiB = 1024 * 1024;

/** One address the server accepts Kafka connections on, by its listener name (Kafka's `listeners`). */
export interface ListenerAddress {
  readonly name: string;
  readonly host: string;
  /** 0 picks a free one (see listen()'s result). */
  readonly port: number;
  /** Kafka's security protocol of this listener (listener.security.protocol.map). Default PLAINTEXT. */
  readonly securityProtocol?: SecurityProtocol;
  /** Required for SSL and SASL_SSL, refused for the others: the TLS context, client authentication and principal mapping. */
  readonly tls?: ListenerTls;
}

/** A connection that could not become a Kafka connection on a TLS listener, or a TLS client on a plaintext one. */
export interface TlsProblem {
  readonly listenerName: string;
  readonly remoteAddress: string;
  readonly reason: string;
}

/** The name of the one listener of a server given only host and port (Kafka's default listener). */
export const DEFAULT_LISTENER_NAME = 'PLAINTEXT';

export interface KafkaServerOptions {
  /**
   * Every address to accept on, one socket each (Kafka's `listeners`). Each connection
   * knows its listener (ConnectionInfo.listenerName); every limit and budget below is the
   * server's, shared by the connections of all listeners. Absent: one PLAINTEXT listener
   * at host:port. Not together with host or port.
   */
  readonly listeners?: readonly ListenerAddress[];
  /** Interface to bind. Default '0.0.0.0' (Kafka's `listeners=PLAINTEXT://:9092`). */
  readonly host?: string;
  /** Port to bind; 0 picks a free one (see listen()'s result). Default 9092. */
  readonly port?: number;
  /** Kernel accept queue length. Default 511 (Node's default). */
  readonly backlog?: number;
  /** Largest request frame accepted (Kafka `socket.request.max.bytes`). Default 100 MiB. */
  readonly socketRequestMaxBytes?: number;
  /**
   * A lower limit for one connection's next frame, asked as each size prefix is read:
   * Kafka's sasl.server.max.receive.size before SASL authentication. Undefined (or no
   * function): socketRequestMaxBytes alone. A frame over it closes the connection.
   */
  readonly requestMaxBytesFor?: (conn: ConnectionInfo) => number | undefined;
  /** Open connections beyond this are closed on accept. Default 10,000. */
  readonly maxConnections?: number;
  /**
   * Open connections per client address (Kafka `max.connections.per.ip`); beyond it they
   * are closed on accept. Default 2,147,483,647, Kafka's: no limit but maxConnections,
   * because many legitimate clients share one address (NAT, a Kubernetes node, a proxy).
   */
  readonly maxConnectionsPerIp?: number;
  /** Per-address exceptions (Kafka `max.connections.per.ip.overrides`): address → limit. Default none. */
  readonly maxConnectionsPerIpOverrides?: ReadonlyMap<string, number> | string;
  /** Requests dispatched but not yet answered, per connection. Default 100. */
  readonly maxInFlightRequestsPerConnection?: number;
  /** Request bytes in flight per connection. Default 100 MiB. */
  readonly maxInFlightBytesPerConnection?: number;
  /** Request bytes in flight across all connections. Default 512 MiB. */
  readonly maxInFlightBytesTotal?: number;
  /** Requests up to this size are small: they may use the small-request reserve (budgets.ts). Default 1 MiB. */
  readonly smallRequestMaxBytes?: number;
  /** The part of maxInFlightBytesTotal only small requests may use. Default an eighth of it (64 MiB of 512). */
  readonly smallRequestReserveBytes?: number;
  /** Response bytes reserved or unsent across all connections (response-ledger.ts). Default 256 MiB. */
  readonly maxResponseBytesTotal?: number;
  /** Reservations and answers up to this size are small: they may use the small-response reserve. Default 1 MiB. */
  readonly smallResponseMaxBytes?: number;
  /** The part of maxResponseBytesTotal only small ones may use. Default an eighth of it (32 MiB of 256). */
  readonly smallResponseReserveBytes?: number;
  /** Stop reading requests while more response bytes than this wait in user space. Default 4 MiB. */
  readonly socketWriteHighWaterBytes?: number;
  /**
   * Close connections with nothing in flight and no request received or answered for this
   * long (Kafka `connections.max.idle.ms`). Bytes of an unfinished request are not
   * activity: a client trickling them is idle. Answers still waiting in the socket are:
   * the idle time counts from the kernel taking their last byte. Default 10 min.
   */
  readonly connectionsMaxIdleMs?: number;
  /**
   * Once a request's size prefix has been read and its budget reserved, its last byte must
   * arrive within this, else the connection is closed and the reservation given back
   * (Kafka-ish `socket.request.receive.timeout`; Kafka has none). Only time the socket is
   * read counts: not waits for the broker's budgets, nor pauses while the client's unread
   * answers are over socketWriteHighWaterBytes. Default 30 s.
   */
  readonly requestReceiveTimeoutMs?: number;
  /**
   * Close a connection whose answers wait in the socket's buffer while the client takes
   * none of their bytes for this long: it stopped reading, and its unread answers hold
   * response budget. Taking is what the client's TCP acknowledges (send-stall.ts), so a
   * client reading slowly is not closed. Default 30 s.
   */
  readonly responseStallTimeoutMs?: number;
  /**
   * How often the timeouts above are checked (capped at the shortest of them, so each
   * fires at most this late). Default 1 s.
   */
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
  /**
   * A TLS listener's handshake must finish within this after accept, else the connection
   * is closed (a client that connects and stays silent holds a connection slot only this
   * long). Default 10 s (Kafka bounds it by connections.max.idle.ms).
   */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Told once per connection that failed its TLS handshake, or sent a TLS handshake to a plaintext listener; for debug logs. */
  readonly onTlsProblem?: (problem: TlsProblem) => void;
  /** Told of every TLS connection that became a Kafka connection, with the principal its certificate gave it; for debug logs. */
  readonly onTlsEstablished?: (conn: ConnectionInfo, tlsVersion: string) => void;
}

export interface ResolvedOptions {
  /** At least one, names unique. */
  readonly listeners: readonly ListenerAddress[];
  readonly backlog: number;
  readonly socketRequestMaxBytes: number;
  readonly requestMaxBytesFor: ((conn: ConnectionInfo) => number | undefined) | undefined;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly maxConnectionsPerIpOverrides: ReadonlyMap<string, number>;
  readonly maxInFlightRequestsPerConnection: number;
  readonly maxInFlightBytesPerConnection: number;
  readonly maxInFlightBytesTotal: number;
  readonly smallRequestMaxBytes: number;
  readonly smallRequestReserveBytes: number;
  readonly maxResponseBytesTotal: number;
  readonly smallResponseMaxBytes: number;
  readonly smallResponseReserveBytes: number;
  readonly socketWriteHighWaterBytes: number;
  readonly connectionsMaxIdleMs: number;
  readonly requestReceiveTimeoutMs: number;
  readonly responseStallTimeoutMs: number;
  readonly idleCheckIntervalMs: number;
  readonly closeLingerMs: number;
  readonly clock: Clock;
  readonly onConnectionClosed: ((conn: ConnectionInfo, reason: string) => void) | undefined;
  readonly tlsHandshakeTimeoutMs: number;
  readonly onTlsProblem: ((problem: TlsProblem) => void) | undefined;
  readonly onTlsEstablished: ((conn: ConnectionInfo, tlsVersion: string) => void) | undefined;
}

export const KAFKA_SERVER_DEFAULTS = {
  host: '0.0.0.0',
  port: 9092,
  backlog: 511,
  socketRequestMaxBytes: 100 * MiB,
  maxConnections: 10_000,
  maxConnectionsPerIp: UNLIMITED_CONNECTIONS_PER_IP,
  maxInFlightRequestsPerConnection: 100,
  maxInFlightBytesPerConnection: 100 * MiB,
  maxInFlightBytesTotal: 512 * MiB,
  smallRequestMaxBytes: MiB,
  /** The small reserves default to their budget divided by this. */
  smallReserveDivisor: 8,
  maxResponseBytesTotal: 256 * MiB,
  smallResponseMaxBytes: MiB,
  socketWriteHighWaterBytes: 4 * MiB,
  connectionsMaxIdleMs: 10 * 60_000,
  requestReceiveTimeoutMs: 30_000,
  responseStallTimeoutMs: 30_000,
  idleCheckIntervalMs: 1_000,
  closeLingerMs: 5_000,
  tlsHandshakeTimeoutMs: 10_000,
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
  const receiveMs = integer('requestReceiveTimeoutMs', options.requestReceiveTimeoutMs ?? d.requestReceiveTimeoutMs, 1);
  const stallMs = integer('responseStallTimeoutMs', options.responseStallTimeoutMs ?? d.responseStallTimeoutMs, 1);
  const inFlightTotal = integer('maxInFlightBytesTotal', options.maxInFlightBytesTotal ?? d.maxInFlightBytesTotal, 1);
  const responseTotal = integer('maxResponseBytesTotal', options.maxResponseBytesTotal ?? d.maxResponseBytesTotal, 1);
  const checkMs = integer('idleCheckIntervalMs', options.idleCheckIntervalMs ?? d.idleCheckIntervalMs, 1);
  return {
    listeners: listenersOf(options),
    backlog: integer('backlog', options.backlog ?? d.backlog, 1),
    socketRequestMaxBytes: integer('socketRequestMaxBytes', options.socketRequestMaxBytes ?? d.socketRequestMaxBytes, 0, INT32_MAX),
    requestMaxBytesFor: options.requestMaxBytesFor,
    maxConnections: integer('maxConnections', options.maxConnections ?? d.maxConnections, 1),
    maxConnectionsPerIp: integer('maxConnectionsPerIp', options.maxConnectionsPerIp ?? d.maxConnectionsPerIp, 0),
    maxConnectionsPerIpOverrides: perIpOverrides(options.maxConnectionsPerIpOverrides),
    maxInFlightRequestsPerConnection: integer(
      'maxInFlightRequestsPerConnection',
      options.maxInFlightRequestsPerConnection ?? d.maxInFlightRequestsPerConnection,
      1,
    ),
    maxInFlightBytesPerConnection: integer('maxInFlightBytesPerConnection', options.maxInFlightBytesPerConnection ?? d.maxInFlightBytesPerConnection, 1),
    maxInFlightBytesTotal: inFlightTotal,
    smallRequestMaxBytes: integer('smallRequestMaxBytes', options.smallRequestMaxBytes ?? d.smallRequestMaxBytes, 0),
    smallRequestReserveBytes: integer(
      'smallRequestReserveBytes',
      options.smallRequestReserveBytes ?? Math.floor(inFlightTotal / d.smallReserveDivisor),
      0,
      inFlightTotal,
    ),
    maxResponseBytesTotal: responseTotal,
    smallResponseMaxBytes: integer('smallResponseMaxBytes', options.smallResponseMaxBytes ?? d.smallResponseMaxBytes, 0),
    smallResponseReserveBytes: integer(
      'smallResponseReserveBytes',
      options.smallResponseReserveBytes ?? Math.floor(responseTotal / d.smallReserveDivisor),
      0,
      responseTotal,
    ),
    socketWriteHighWaterBytes: integer('socketWriteHighWaterBytes', options.socketWriteHighWaterBytes ?? d.socketWriteHighWaterBytes, 1),
    connectionsMaxIdleMs: idleMs,
    requestReceiveTimeoutMs: receiveMs,
    responseStallTimeoutMs: stallMs,
    idleCheckIntervalMs: Math.min(checkMs, idleMs, receiveMs, stallMs),
    closeLingerMs: integer('closeLingerMs', options.closeLingerMs ?? d.closeLingerMs, 0),
    clock: options.clock ?? systemClock,
    onConnectionClosed: options.onConnectionClosed,
    tlsHandshakeTimeoutMs: integer('tlsHandshakeTimeoutMs', options.tlsHandshakeTimeoutMs ?? d.tlsHandshakeTimeoutMs, 1),
    onTlsProblem: options.onTlsProblem,
    onTlsEstablished: options.onTlsEstablished,
  };
}

function listenersOf(options: KafkaServerOptions): readonly ListenerAddress[] {
  const d = KAFKA_SERVER_DEFAULTS;
  if (options.listeners === undefined) return [{ name: DEFAULT_LISTENER_NAME, host: options.host ?? d.host, port: integer('port', options.port ?? d.port, 0, 65_535) }];
  if (options.host !== undefined || options.port !== undefined) throw new RangeError('KafkaServer options host and port describe the one default listener: give listeners or them, not both');
  if (options.listeners.length === 0) throw new RangeError('KafkaServer option listeners must name at least one listener');
  const names = new Set<string>();
  return options.listeners.map((l) => {
    if (l.name.length === 0 || names.has(l.name)) throw new RangeError(`KafkaServer option listeners: listener names must be unique and not empty, got "${l.name}" twice or empty`);
    names.add(l.name);
    const tlsProtocol = l.securityProtocol === 'SSL' || l.securityProtocol === 'SASL_SSL';
    if (tlsProtocol && l.tls === undefined) throw new RangeError(`KafkaServer option listeners: listener ${l.name} is ${l.securityProtocol} and needs tls`);
    if (!tlsProtocol && l.tls !== undefined) throw new RangeError(`KafkaServer option listeners: listener ${l.name} is ${l.securityProtocol ?? 'PLAINTEXT'}, which does not speak TLS: tls is for SSL and SASL_SSL`);
    return { ...l, port: integer(`listeners[${l.name}].port`, l.port, 0, 65_535) };
  });
}

function perIpOverrides(value: ReadonlyMap<string, number> | string | undefined): ReadonlyMap<string, number> {
  if (value === undefined) return new Map();
  if (typeof value !== 'string') {
    for (const [address, max] of value) integer(`maxConnectionsPerIpOverrides[${address}]`, max, 0);
    return value;
  }
  try {
    return parseConnectionsPerIpOverrides(value);
  } catch (e) {
    throw new RangeError(`KafkaServer option maxConnectionsPerIpOverrides: ${(e as Error).message}`);
  }
}
