// One client connection: bytes in → frames → concurrent dispatches → responses out in
// request order. It owns the flow control of its socket: it stops reading while any
// budget (in-flight requests, per-connection bytes, shared bytes, unsent response bytes)
// is exhausted and resumes when a response completes, so nothing is buffered without
// bound. It knows nothing of Kafka beyond framing; the dispatch function does the rest.
// Its answers' share of the response budget is kept by its ResponseLedger.
//
// Slow clients: only whole requests and answers written and taken count as activity for
// the idle timeout, so trickled bytes do not keep a connection alive, and one whose
// answers are still being read is not idle (the stall timeout watches it). A request
// whose body is being received is instead bound by the receive timeout, counted from
// the moment its budget was reserved and only while the socket is read: a wait for the
// broker's budgets, or for the client to read its answers while we stop reading, is not
// the body being late (its bytes wait in the kernel, unread by us). The server's sweep
// asks isIdle / receiveTimedOut / sampleSend + responseStalled.
//
// Throttling (client quotas, KIP-219): an answer whose dispatch result carries throttleMs
// is written at once, and the connection then reads nothing more for that long — requests
// already read are still answered; the client's next ones wait in the kernel.
//
// Lifecycle: open → draining (no new requests: 'close' result, shutdown, idle) →
// closing (our FIN sent, discarding input until the peer closes or the linger ends) →
// closed. Errors and oversized frames jump straight to closed.

import type { Socket } from 'node:net';
import type { Clock } from '@stratus/runtime';
import { ConnectionSession } from '../auth/principal.ts';
import type { SecurityProtocol } from '../auth/principal.ts';
import type { ConnectionInfo, DispatchResult } from '../dispatcher.ts';
import type { ResponseAllowance } from '../handler.ts';
import { fitsBudget } from './budgets.ts';
import type { BudgetWaiter, FairByteBudget } from './budgets.ts';
import { FrameReader } from './framing.ts';
import type { ResolvedOptions } from './options.ts';
import { ResponseLedger } from './response-ledger.ts';
import type { ResponseTicket } from './response-ledger.ts';
import { SendStall } from './send-stall.ts';
import { socketInode } from './tcp-send-queue.ts';
import type { Counters } from './stats.ts';

export type DispatchFn = (frame: Buffer, conn: ConnectionInfo, responseBudget: ResponseAllowance) => Promise<DispatchResult>;

export interface ConnectionDeps {
  /** What Kafka bytes are read from and written to: the TCP socket, or the TLS socket over it. */
  readonly socket: Socket;
  /** Under a TLS socket, the TCP socket it encrypts into: where the kernel's send queue is read (send-stall.ts). Default `socket`. */
  readonly transport?: Socket;
  readonly connectionId: number;
  /** The listener that accepted it (KafkaServerOptions.listeners). */
  readonly listenerName: string;
  /** That listener's security protocol (the session's listenerProtocol). */
  readonly securityProtocol: SecurityProtocol;
  /** The client's address as per-IP limits count it. */
  readonly ip: string;
  readonly options: ResolvedOptions;
  /** Request bytes in flight, shared by all connections. */
  readonly budget: FairByteBudget;
  /** Response bytes reserved or unsent, shared by all connections. */
  readonly responseBudget: FairByteBudget;
  readonly counters: Counters;
  readonly dispatch: DispatchFn;
  readonly clock: Clock;
  readonly onClosed: (conn: Connection, reason: string) => void;
}

/** One request from dispatch until its response is written (or it is abandoned). */
interface Slot {
  readonly sizeBytes: number;
  readonly ticket: ResponseTicket;
  result: DispatchResult | undefined;
  settled: boolean;
  /** The connection closed first: release the budget when dispatch settles. */
  abandoned: boolean;
}

type State = 'open' | 'draining' | 'closing' | 'closed';

export class Connection {
  readonly info: ConnectionInfo;
  readonly ip: string;
  private readonly deps: ConnectionDeps;
  private readonly socket: Socket;
  private readonly abort = new AbortController();
  private readonly lingerAbort = new AbortController();
  private readonly reader = new FrameReader();
  private readonly responses: ResponseLedger;
  private readonly sendStall = new SendStall();
  /** Unwritten requests, in request order. */
  private readonly slots: Slot[] = [];
  private state: State = 'open';
  private drainReason = '';
  private closeReason = '';
  /** Bytes of this connection's slots plus the reserved next frame. */
  private inFlightBytes = 0;
  /** Size of the next frame once its budget is reserved; its body may still be arriving. */
  private pendingSize: number | undefined;
  private globalWaiter: BudgetWaiter | undefined;
  private readPaused = false;
  /** Reading stops until then (monotonic ms; 0: not muted): a client over its quota. */
  private mutedUntilMs = 0;
  /** Accepted, or the last answer written or taken by the kernel: what the idle timeout counts from. */
  private lastActivityMs: number;
  /**
   * Receive time counted for the reserved next frame's body before the current reading
   * spell; undefined when no body is awaited.
   */
  private bodyWaitedMs: number | undefined;
  /** While a body is awaited and the socket is read: when that reading began. */
  private bodyReadingSinceMs: number | undefined;
  /** The socket's inode for the kernel's send queue: null when it cannot be known. */
  private inode: number | null | undefined;

  constructor(deps: ConnectionDeps) {
    this.deps = deps;
    this.socket = deps.socket;
    this.ip = deps.ip;
    this.responses = new ResponseLedger(deps.responseBudget, deps.options.socketWriteHighWaterBytes);
    const { remoteAddress, remotePort } = deps.socket;
    const session = new ConnectionSession();
    session.securityProtocol = deps.securityProtocol;
    this.info = { connectionId: deps.connectionId, listenerName: deps.listenerName, remoteAddress: `${remoteAddress ?? 'unknown'}:${remotePort ?? 0}`, signal: this.abort.signal, session };
    this.lastActivityMs = deps.clock.monotonicMs();
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.pump());
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    this.socket.on('close', () => this.cleanup('socket closed'));
  }

  get bufferedBytes(): number {
    return this.reader.bufferedBytes;
  }

  /**
   * Nothing in flight and no request received or answered for `idleMs`. A connection
   * queued for the shared budget is waiting on us, not idle; one receiving a body is
   * bound by the receive timeout instead, and one whose answers wait in the socket by
   * the stall timeout: a slow reader is busy reading. One that trickles bytes of an
   * unfinished size prefix, or nothing, is idle.
   */
  isIdle(nowMs: number, idleMs: number): boolean {
    return (
      this.state === 'open' &&
      this.slots.length === 0 &&
      this.globalWaiter === undefined &&
      this.pendingSize === undefined &&
      this.socket.writableLength === 0 &&
      nowMs - this.lastActivityMs >= idleMs
    );
  }

  /**
   * A reserved request body has been awaited for `timeoutMs`, counting only the time the
   * socket was read, without arriving whole.
   */
  receiveTimedOut(nowMs: number, timeoutMs: number): boolean {
    if (this.state !== 'open' || this.bodyWaitedMs === undefined) return false;
    const reading = this.bodyReadingSinceMs === undefined ? 0 : nowMs - this.bodyReadingSinceMs;
    return this.bodyWaitedMs + reading >= timeoutMs;
  }

  /**
   * The first half of the sweep's look at the answers (send-stall.ts): true when the
   * kernel's unacknowledged bytes are needed, and `kernelInode` says which socket's.
   */
  sampleSend(): boolean {
    return this.state !== 'closed' && this.sendStall.sample(this.socket, this.deps.transport);
  }

  /** The socket's inode in the kernel's tables (resolved once), or undefined. */
  get kernelInode(): number | undefined {
    if (this.inode === undefined) this.inode = socketInode(this.deps.transport ?? this.socket) ?? null;
    return this.inode ?? undefined;
  }

  /**
   * Answers wait in the socket's buffers and the client has taken none of them for
   * `timeoutMs` (after sampleSend; `kernelQueued` when it asked and it is known).
   */
  responseStalled(nowMs: number, timeoutMs: number, kernelQueued?: number): boolean {
    return this.state !== 'closed' && this.sendStall.judge(nowMs, timeoutMs, kernelQueued);
  }

  /**
   * Stops taking requests; the connection closes once the ones in flight have been
   * answered. Unparsed input is dropped: the client retries it on another connection.
   */
  drain(reason: string): void {
    if (this.state !== 'open') return;
    this.state = 'draining';
    this.drainReason = reason;
    this.dropInput();
    this.setReading(false);
    if (this.slots.length === 0) this.closeGracefully(reason);
  }

  /** Closes now, dropping whatever is in flight or unsent. */
  destroy(reason: string): void {
    if (this.state === 'closed') return;
    this.closeReason ||= reason;
    this.socket.destroy();
    this.cleanup(reason);
  }

  private onData(chunk: Buffer): void {
    this.deps.counters.bytesIn += chunk.length;
    // Not activity for the idle timeout: a client trickling bytes would never be idle.
    // Draining or closing: the bytes are discarded (see closeGracefully for why we read).
    if (this.state !== 'open') return;
    this.reader.push(chunk);
    this.pump();
  }

  /**
   * Takes as many frames as the budgets allow and dispatches them, then reads on only if
   * more could be taken. The size is judged before the body is buffered.
   */
  private pump(): void {
    if (this.state !== 'open') return;
    const { options, budget, counters } = this.deps;
    let blocked = false;
    for (;;) {
      if (this.mutedUntilMs !== 0) {
        if (this.deps.clock.monotonicMs() < this.mutedUntilMs) {
          blocked = true;
          break;
        }
        this.mutedUntilMs = 0;
      }
      if (this.writeBacklogged()) {
        blocked = true;
        break;
      }
      if (this.pendingSize === undefined) {
        if (this.globalWaiter !== undefined || this.slots.length >= options.maxInFlightRequestsPerConnection) {
          blocked = true;
          break;
        }
        const size = this.reader.peekSize();
        if (size === undefined) break;
        // Before SASL authentication a lower limit may apply (Kafka's sasl.server.max.receive.size).
        const connectionMax = options.requestMaxBytesFor?.(this.info);
        if (connectionMax !== undefined && size > connectionMax && size <= options.socketRequestMaxBytes) {
          counters.oversizedFrames++;
          this.destroy(`request size ${size} over ${connectionMax} before authentication`);
          return;
        }
        if (size < 0 || size > options.socketRequestMaxBytes) {
          // Kafka closes at once (InvalidReceiveException); nothing of the body is read.
          counters.oversizedFrames++;
          if (looksLikeTlsRecord(size)) {
            counters.tlsOnPlaintext++;
            const reason = 'a TLS handshake on a plaintext listener (a TLS client on the wrong port?)';
            try {
              options.onTlsProblem?.({ listenerName: this.info.listenerName, remoteAddress: this.info.remoteAddress, reason });
            } catch {
              // A logging hook must not break the connection's bookkeeping.
            }
            this.destroy(reason);
            return;
          }
          this.destroy(`request size ${size} outside 0..${options.socketRequestMaxBytes}`);
          return;
        }
        if (!fitsBudget(this.inFlightBytes, size, options.maxInFlightBytesPerConnection)) {
          blocked = true;
          break;
        }
        if (!budget.tryAcquire(size)) {
          const waiter: BudgetWaiter = { bytes: size, grant: () => this.onGlobalGrant(waiter) };
          this.globalWaiter = waiter;
          budget.wait(waiter);
          blocked = true;
          break;
        }
        this.reserve(size);
      }
      const size = this.pendingSize!;
      const frame = this.reader.takeFrame(size);
      if (frame === undefined) {
        // Only frames spanning chunks read the clock; most arrive whole.
        if (this.bodyWaitedMs === undefined) {
          this.bodyWaitedMs = 0;
          // Paused (the grant came while we waited): counted from the resume.
          if (!this.readPaused) this.bodyReadingSinceMs = this.deps.clock.monotonicMs();
        }
        break;
      }
      this.pendingSize = undefined;
      this.bodyWaitedMs = undefined;
      this.bodyReadingSinceMs = undefined;
      this.start(frame, size);
    }
    this.setReading(!blocked);
  }

  private onGlobalGrant(waiter: BudgetWaiter): void {
    this.globalWaiter = undefined;
    if (this.state !== 'open') {
      this.deps.budget.release(waiter.bytes);
      return;
    }
    this.reserve(waiter.bytes);
    this.pump();
  }

  /** The shared budget has already been charged; this charges the connection's own. */
  private reserve(size: number): void {
    this.pendingSize = size;
    this.inFlightBytes += size;
  }

  private start(frame: Buffer, sizeBytes: number): void {
    const ticket = this.responses.ticket(this.slots.length === 0);
    const slot: Slot = { sizeBytes, ticket, result: undefined, settled: false, abandoned: false };
    this.slots.push(slot);
    this.deps.counters.framesIn++;
    this.deps.counters.inFlightRequests++;
    let pending: Promise<DispatchResult>;
    try {
      pending = Promise.resolve(this.deps.dispatch(frame, this.info, ticket));
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(
      (result) => this.settle(slot, isDispatchResult(result) ? result : this.failed('dispatch returned no DispatchResult')),
      (e: unknown) => this.settle(slot, this.failed(`dispatch failed: ${e instanceof Error ? e.message : String(e)}`)),
    );
  }

  private failed(reason: string): DispatchResult {
    this.deps.counters.dispatchFailures++;
    return { kind: 'close', reason };
  }

  private settle(slot: Slot, result: DispatchResult): void {
    slot.settled = true;
    if (slot.abandoned) {
      this.release(slot);
      return;
    }
    slot.result = result;
    // Later requests would be thrown away: stop reading now, close once earlier ones are out.
    if (result.kind === 'close') this.drain(result.reason);
    this.flush();
  }

  /** Writes every response whose turn has come; a slow request holds back the rest. */
  private flush(): void {
    // A socket Node already destroyed (reset by the peer) gets no writes; its 'close'
    // event is on the way and cleans up.
    if ((this.state !== 'open' && this.state !== 'draining') || this.socket.destroyed) return;
    const { counters } = this.deps;
    let corked = false;
    for (let head = this.slots[0]; head?.result !== undefined; head = this.slots[0]) {
      const result = head.result;
      this.slots.shift();
      this.release(head);
      if (result.kind === 'response') {
        if (!corked) {
          // One cork per burst: the chunks of all ready responses leave in one writev.
          this.socket.cork();
          corked = true;
        }
        this.write(head.ticket, result.chunks);
        counters.responsesOut++;
        if (result.throttleMs !== undefined) this.mute(result.throttleMs);
      } else if (result.kind === 'none') {
        this.responses.written(head.ticket, 0);
        counters.responsesNone++;
        if (result.throttleMs !== undefined) this.mute(result.throttleMs);
      } else {
        if (corked) this.socket.uncork();
        this.responses.abandon(head.ticket);
        this.closeGracefully(result.reason);
        return;
      }
    }
    if (corked) this.socket.uncork();
    // Everything before the new head is answered: it may reserve response bytes now.
    const next = this.slots[0];
    if (next !== undefined) this.responses.setTurn(next.ticket);
    this.lastActivityMs = this.deps.clock.monotonicMs();
    if (this.state === 'draining' && this.slots.length === 0) this.closeGracefully(this.drainReason);
    else this.pump();
  }

  /** Writes one answer; the ledger charges it until the kernel has taken its last chunk. */
  private write(ticket: ResponseTicket, chunks: readonly Buffer[]): void {
    let bytes = 0;
    let last = -1;
    for (let i = 0; i < chunks.length; i++) {
      if (chunks[i]!.length === 0) continue;
      bytes += chunks[i]!.length;
      last = i;
    }
    this.responses.written(ticket, bytes);
    for (let i = 0; i <= last; i++) {
      const chunk = chunks[i]!;
      if (chunk.length === 0) continue;
      if (i === last) this.socket.write(chunk, this.onAnswerTaken);
      else this.socket.write(chunk);
    }
    this.deps.counters.bytesOut += bytes;
  }

  /** Stops reading for `ms` (the longest of overlapping throttles wins); pump() resumes once it has passed. */
  private mute(ms: number): void {
    if (!(ms > 0)) return;
    const until = this.deps.clock.monotonicMs() + ms;
    if (until <= this.mutedUntilMs) return;
    this.mutedUntilMs = until;
    this.unmuteAt(until);
  }

  private unmuteAt(until: number): void {
    const left = until - this.deps.clock.monotonicMs();
    this.deps.clock.sleep(Math.max(1, Math.ceil(left)), this.abort.signal).then(
      () => {
        // A later, longer throttle has its own timer.
        if (this.mutedUntilMs !== until) return;
        if (this.deps.clock.monotonicMs() < until) this.unmuteAt(until);
        else this.pump();
      },
      () => undefined,
    );
  }

  /** The kernel took an answer's last byte: its charge goes, and the idle timeout counts from now. */
  private readonly onAnswerTaken = (): void => {
    this.lastActivityMs = this.deps.clock.monotonicMs();
    this.responses.onTaken();
  };

  private release(slot: Slot): void {
    this.inFlightBytes -= slot.sizeBytes;
    this.deps.counters.inFlightRequests--;
    this.deps.budget.release(slot.sizeBytes);
  }

  /**
   * Responses waiting in user space above the high-water mark: the client reads slower
   * than it sends. `writableNeedDrain` guarantees a 'drain' event will resume us.
   */
  private writeBacklogged(): boolean {
    return this.socket.writableNeedDrain && this.socket.writableLength > this.deps.options.socketWriteHighWaterBytes;
  }

  private setReading(reading: boolean): void {
    if (reading !== this.readPaused) return;
    const { counters } = this.deps;
    if (reading) {
      this.readPaused = false;
      counters.connectionsReadPaused--;
      if (this.bodyWaitedMs !== undefined) this.bodyReadingSinceMs = this.deps.clock.monotonicMs();
      this.socket.resume();
    } else {
      this.readPaused = true;
      counters.readPauses++;
      counters.connectionsReadPaused++;
      // Whatever the reason we stop reading, the body's time stops with it.
      if (this.bodyReadingSinceMs !== undefined) {
        this.bodyWaitedMs! += this.deps.clock.monotonicMs() - this.bodyReadingSinceMs;
        this.bodyReadingSinceMs = undefined;
      }
      this.socket.pause();
    }
  }

  /** Forgets unparsed input and gives back the budget reserved for the next frame. */
  private dropInput(): void {
    this.reader.clear();
    this.bodyWaitedMs = undefined;
    this.bodyReadingSinceMs = undefined;
    if (this.pendingSize !== undefined) {
      this.inFlightBytes -= this.pendingSize;
      this.deps.budget.release(this.pendingSize);
      this.pendingSize = undefined;
    }
    if (this.globalWaiter !== undefined) {
      this.deps.budget.cancel(this.globalWaiter);
      this.globalWaiter = undefined;
    }
  }

  /** Requests after a 'close' (or all of them, on destroy) will never be answered. */
  private abandonSlots(): void {
    for (const slot of this.slots.splice(0)) {
      this.responses.abandon(slot.ticket);
      if (slot.settled) this.release(slot);
      else slot.abandoned = true;
    }
  }

  /**
   * Sends FIN after the responses already written, then keeps reading and discarding
   * until the peer closes too: closing with unread requests in the kernel buffer would
   * send a reset, and the client could lose the responses it has not read yet.
   */
  private closeGracefully(reason: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.closeReason = reason;
    this.dropInput();
    this.abandonSlots();
    this.abort.abort(new Error(`connection closing: ${reason}`));
    this.setReading(true);
    this.socket.end();
    this.deps.clock.sleep(this.deps.options.closeLingerMs, this.lingerAbort.signal).then(
      () => this.destroy(`${reason} (peer did not close within ${this.deps.options.closeLingerMs} ms)`),
      () => undefined,
    );
  }

  private onEnd(): void {
    // A half-closed client gets no more answers, as in Kafka (EOF closes the channel).
    // When we are closing, the FIN we waited for has come and the socket closes itself.
    if (this.state !== 'closing') this.destroy('client closed the connection');
  }

  private onError(err: NodeJS.ErrnoException): void {
    this.deps.counters.socketErrors++;
    this.destroy(`socket error ${err.code ?? err.message}`);
  }

  private cleanup(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.dropInput();
    this.abandonSlots();
    this.responses.close();
    this.setReading(true);
    this.lingerAbort.abort();
    const why = this.closeReason || reason;
    if (!this.abort.signal.aborted) this.abort.abort(new Error(`connection closed: ${why}`));
    this.deps.onClosed(this, why);
  }
}

function isDispatchResult(value: unknown): value is DispatchResult {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'none') return true;
  if (kind === 'close') return typeof (value as { reason?: unknown }).reason === 'string';
  return kind === 'response' && Array.isArray((value as { chunks?: unknown }).chunks);
}

/**
 * A TLS handshake record read as a Kafka size prefix: content type 22 (handshake) and
 * major version 3 (SSL 3.0 to TLS 1.3 all write 3.x) — 0x1603xxxx, far above any
 * request size, so the frame is refused anyway; this only names why.
 */
function looksLikeTlsRecord(size: number): boolean {
  return size >>> 16 === 0x1603;
}
