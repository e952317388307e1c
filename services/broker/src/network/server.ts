// KafkaServer: the broker's TCP listeners. Accepts connections on every listener (one
// socket each, Kafka's `listeners`) up to one limit for all of them (in total and per
// client address: the limits and byte budgets are the process's, whichever listener a
// client came through), hands each one to a Connection (framing, pipelining,
// backpressure), owns the byte budgets they share, closes idle and slow ones (one sweep
// for the idle, receive and stall timeouts), and shuts down gracefully. It does not know any Kafka API: every frame goes to the injected
// dispatch function, which answers with response chunks, nothing, or "close".

import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { FairByteBudget } from './budgets.ts';
import { Connection } from './connection.ts';
import type { DispatchFn } from './connection.ts';
import { ConnectionsPerIp, normalizeIp } from './ip-limits.ts';
import { resolveOptions } from './options.ts';
import type { KafkaServerOptions, ListenerAddress, ResolvedOptions } from './options.ts';
import { Counters } from './stats.ts';
import type { KafkaServerStats } from './stats.ts';
import { readSendQueues } from './tcp-send-queue.ts';
import { startTlsHandshake } from './tls/tls-handshake.ts';
import type { PendingHandshake } from './tls/tls-handshake.ts';
import type { KafkaPrincipal } from '../auth/principal.ts';

export interface CloseOptions {
  /** How long in-flight requests may take before their connections are cut. Default 30 s. */
  readonly drainTimeoutMs?: number;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** A listener once bound: its name and the address it accepts on (port 0 resolved). */
export interface BoundListener {
  readonly name: string;
  readonly address: AddressInfo;
}

interface Listener {
  readonly spec: ListenerAddress;
  readonly server: net.Server;
}

export class KafkaServer {
  private readonly options: ResolvedOptions;
  private readonly dispatch: DispatchFn;
  private readonly listeners: readonly Listener[];
  private readonly budget: FairByteBudget;
  private readonly responseBudget: FairByteBudget;
  private readonly perIp: ConnectionsPerIp;
  private readonly counters = new Counters();
  private readonly connections = new Set<Connection>();
  /** TLS listeners' connections still in their handshake: they count against maxConnections and the per-IP limit. */
  private readonly handshakes = new Set<PendingHandshake>();
  private readonly sweepAbort = new AbortController();
  private nextConnectionId = 1;
  private listening = false;
  private binding = false;
  private closing: Promise<void> | undefined;
  private onAllClosed: (() => void) | undefined;

  constructor(dispatch: DispatchFn, options: KafkaServerOptions = {}) {
    this.options = resolveOptions(options);
    this.dispatch = dispatch;
    const o = this.options;
    this.budget = new FairByteBudget(o.maxInFlightBytesTotal, { smallMaxBytes: o.smallRequestMaxBytes, smallReserveBytes: o.smallRequestReserveBytes });
    this.responseBudget = new FairByteBudget(o.maxResponseBytesTotal, { smallMaxBytes: o.smallResponseMaxBytes, smallReserveBytes: o.smallResponseReserveBytes });
    this.perIp = new ConnectionsPerIp(o.maxConnectionsPerIp, o.maxConnectionsPerIpOverrides);
    // Kafka sets TCP_NODELAY (responses are whole messages, Nagle only adds latency) and
    // keep-alive (finds dead peers behind idle NATs).
    this.listeners = o.listeners.map((spec) => {
      const server = net.createServer({ allowHalfOpen: false, noDelay: true, keepAlive: true }, (socket) => this.accept(socket, spec));
      // After listen() succeeds, an 'error' on a listener (EMFILE on accept) must not kill
      // the process; it is counted and the listener keeps going.
      server.on('error', () => {
        if (this.listening) this.counters.acceptErrors++;
      });
      return { spec, server };
    });
  }

  /**
   * Binds every listener, in order, and starts accepting; resolves with each bound address
   * (port 0 → a free port). If one cannot bind (EADDRINUSE, ...), those bound before it
   * are closed again and the promise rejects with that error, its listener named in
   * `listener` on the error.
   */
  async listen(): Promise<readonly BoundListener[]> {
    if (this.closing !== undefined) throw new Error('KafkaServer is closed');
    if (this.listening || this.binding) throw new Error('KafkaServer is already listening');
    this.binding = true;
    const bound: BoundListener[] = [];
    try {
      for (const l of this.listeners) bound.push({ name: l.spec.name, address: await this.bind(l) });
    } catch (err) {
      // Clients that reached an early listener meanwhile are cut: the server does not run.
      for (const conn of [...this.connections]) conn.destroy(`listener ${(err as { listener?: string }).listener ?? '?'} could not bind`);
      await Promise.all(this.listeners.filter((l) => l.server.listening).map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))));
      this.binding = false;
      throw err;
    }
    this.binding = false;
    this.listening = true;
    void this.sweepIdle();
    return bound;
  }

  private bind(l: Listener): Promise<AddressInfo> {
    const { host, port } = l.spec;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(Object.assign(err, { listener: l.spec.name }));
      l.server.once('error', onError);
      l.server.listen({ host, port, backlog: this.options.backlog }, () => {
        l.server.off('error', onError);
        resolve(l.server.address() as AddressInfo);
      });
    });
  }

  /**
   * Stops accepting and reading new requests, lets in-flight requests finish and their
   * responses flush, then closes every socket. After `drainTimeoutMs` the remaining
   * connections are cut (their signals abort). Resolves when all sockets are closed.
   * Calling it again returns the same promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    return this.closing;
  }

  stats(): KafkaServerStats {
    let bufferedBytes = 0;
    const byListener: Record<string, number> = Object.fromEntries(this.listeners.map((l) => [l.spec.name, 0]));
    for (const conn of this.connections) {
      bufferedBytes += conn.bufferedBytes;
      byListener[conn.info.listenerName]!++;
    }
    return Object.freeze({
      ...this.counters,
      connectionsOpen: this.connections.size,
      connectionsOpenByListener: Object.freeze(byListener),
      inFlightBytes: this.budget.usedBytes,
      inFlightSmallBytes: this.budget.smallUsedBytes,
      inFlightWaiting: this.budget.waitingCount,
      responseBytes: this.responseBudget.usedBytes,
      responseWaiting: this.responseBudget.waitingCount,
      bufferedBytes,
    });
  }

  private accept(socket: Socket, listener: ListenerAddress): void {
    if (this.closing !== undefined || this.connections.size + this.handshakes.size >= this.options.maxConnections) {
      this.counters.connectionsRefused++;
      this.refuse(socket);
      return;
    }
    const ip = normalizeIp(socket.remoteAddress);
    if (!this.perIp.tryOpen(ip)) {
      this.counters.connectionsRefusedPerIp++;
      this.refuse(socket);
      return;
    }
    this.counters.connectionsAccepted++;
    if (listener.tls !== undefined) {
      this.handshake(socket, listener, ip);
      return;
    }
    this.open(socket, listener, ip);
  }

  /** The TLS handshake of an SSL or SASL_SSL listener's connection, bounded by tlsHandshakeTimeoutMs; a Kafka connection once done. */
  private handshake(raw: Socket, listener: ListenerAddress, ip: string): void {
    const remoteAddress = `${raw.remoteAddress ?? 'unknown'}:${raw.remotePort ?? 0}`;
    const pending = startTlsHandshake(raw, listener.tls!, this.options.tlsHandshakeTimeoutMs, (result) => {
      this.handshakes.delete(pending);
      if (!result.ok) {
        this.perIp.closed(ip);
        // Handshakes cut by the shutdown are not the client's failure.
        if (this.closing === undefined) {
          if (result.timedOut) this.counters.tlsHandshakeTimeouts++;
          else this.counters.tlsHandshakeFailures++;
          try {
            this.options.onTlsProblem?.({ listenerName: listener.name, remoteAddress, reason: result.reason });
          } catch {
            // A logging hook must not break connection bookkeeping.
          }
        }
        if (this.connections.size === 0 && this.handshakes.size === 0) this.onAllClosed?.();
        return;
      }
      if (this.closing !== undefined) {
        this.perIp.closed(ip);
        result.socket.on('error', () => undefined);
        result.socket.destroy();
        if (this.connections.size === 0 && this.handshakes.size === 0) this.onAllClosed?.();
        return;
      }
      this.open(result.socket, listener, ip, raw, result.principal);
    });
    this.handshakes.add(pending);
  }

  private open(socket: Socket, listener: ListenerAddress, ip: string, transport?: Socket, principal?: KafkaPrincipal): void {
    const conn = new Connection({
      socket,
      ...(transport === undefined ? {} : { transport }),
      connectionId: this.nextConnectionId++,
      listenerName: listener.name,
      securityProtocol: listener.securityProtocol ?? 'PLAINTEXT',
      ip,
      options: this.options,
      budget: this.budget,
      responseBudget: this.responseBudget,
      counters: this.counters,
      dispatch: this.dispatch,
      clock: this.options.clock,
      onClosed: (closed, reason) => this.closed(closed, reason),
    });
    this.connections.add(conn);
    if (principal !== undefined) {
      conn.info.session!.principal = principal;
      try {
        this.options.onTlsEstablished?.(conn.info, (socket as { getProtocol?: () => string | null }).getProtocol?.() ?? 'unknown');
      } catch {
        // A logging hook must not break connection bookkeeping.
      }
    }
  }

  private refuse(socket: Socket): void {
    socket.on('error', () => undefined);
    socket.destroy();
  }

  private closed(conn: Connection, reason: string): void {
    this.connections.delete(conn);
    this.perIp.closed(conn.ip);
    try {
      this.options.onConnectionClosed?.(conn.info, reason);
    } catch {
      // A logging hook must not break connection bookkeeping.
    }
    if (this.connections.size === 0 && this.handshakes.size === 0) this.onAllClosed?.();
  }

  /**
   * One timer for all connections instead of one per connection re-armed per chunk: a
   * timeout fires at most idleCheckIntervalMs late.
   */
  private async sweepIdle(): Promise<void> {
    const { clock, idleCheckIntervalMs, connectionsMaxIdleMs, requestReceiveTimeoutMs, responseStallTimeoutMs } = this.options;
    for (;;) {
      try {
        await clock.sleep(idleCheckIntervalMs, this.sweepAbort.signal);
      } catch {
        return;
      }
      const nowMs = clock.monotonicMs();
      const connections = [...this.connections];
      // Answers behind a full kernel send buffer: whether their clients read shows only
      // in the kernel's count (send-stall.ts), one read of its table for all of them.
      const inodes = new Map<Connection, number>();
      for (const conn of connections) {
        const inode = conn.sampleSend() ? conn.kernelInode : undefined;
        if (inode !== undefined) inodes.set(conn, inode);
      }
      const kernelQueued = inodes.size > 0 ? await readSendQueues(new Set(inodes.values())) : undefined;
      for (const conn of connections) {
        const inode = inodes.get(conn);
        if (conn.responseStalled(nowMs, responseStallTimeoutMs, inode === undefined ? undefined : kernelQueued?.get(inode))) {
          // Not graceful: a FIN would queue behind answers the client does not read.
          this.counters.connectionsResponseStalled++;
          conn.destroy(`client read none of its answers for ${responseStallTimeoutMs} ms`);
        } else if (conn.receiveTimedOut(nowMs, requestReceiveTimeoutMs)) {
          // Graceful: earlier requests are still answered; the partial one is dropped and its budget given back.
          this.counters.connectionsReceiveTimedOut++;
          conn.drain(`request not received within ${requestReceiveTimeoutMs} ms`);
        } else if (conn.isIdle(nowMs, connectionsMaxIdleMs)) {
          this.counters.connectionsIdleClosed++;
          conn.drain(`idle for ${connectionsMaxIdleMs} ms`);
        }
      }
    }
  }

  private async shutdown(drainTimeoutMs: number): Promise<void> {
    this.sweepAbort.abort();
    // Each resolves once its listener and every socket it accepted are closed.
    const listenerClosed = Promise.all(this.listeners.map((l) => new Promise<void>((resolve) => (l.server.listening ? l.server.close(() => resolve()) : resolve()))));
    const allClosed = new Promise<void>((resolve) => {
      this.onAllClosed = resolve;
      if (this.connections.size === 0 && this.handshakes.size === 0) resolve();
    });
    for (const pending of [...this.handshakes]) pending.abort('server shutting down');
    for (const l of this.listeners) l.spec.tls?.context.close?.();
    for (const conn of [...this.connections]) conn.drain('server shutting down');
    const timeout = new AbortController();
    const timedOut = await Promise.race([
      allClosed.then(() => false),
      this.options.clock.sleep(drainTimeoutMs, timeout.signal).then(
        () => true,
        () => false,
      ),
    ]);
    timeout.abort();
    if (timedOut) for (const conn of [...this.connections]) conn.destroy(`shutdown drain timeout ${drainTimeoutMs} ms`);
    await allClosed;
    await listenerClosed;
    this.listening = false;
  }
}
