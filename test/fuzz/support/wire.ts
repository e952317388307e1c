// Client side of the fuzzer's connections: a socket that parses response frames and
// hands out "what happened next" (a frame, the close, or nothing within a timeout), and
// the judgement of a response — does it decode with the schema of the request's API and
// version, and does it carry an error code.

import net from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { ApiKey, apiSpecs, decodeResponse, encodeRequest, ErrorCode } from '@stratus/protocol';
import type { ApiKeyNumber } from '@stratus/protocol';

/** How to connect: from which local address (a per-address limit sees each apart), and over TLS. */
export interface ConnectOptions {
  /** A loopback address of 127.0.0.0/8 other than 127.0.0.1, say: the broker sees another client address. */
  readonly localAddress?: string;
  /** Speak TLS (the handshake finishes before connect resolves); `transport` is then the TCP socket under it. */
  readonly tls?: TlsOptions;
}

export type WireEvent = { readonly kind: 'frame'; readonly frame: Buffer } | { readonly kind: 'closed' } | { readonly kind: 'timeout' };

/** Responses above this are a broker bug here (the fuzz topics hold little data). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export class WireConnection {
  readonly socket: Socket;
  /** The TCP socket: `socket` itself, or the one under it when it is TLS (bytes written here bypass TLS). */
  readonly transport: Socket;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly frames: Buffer[] = [];
  private closedFlag = false;
  private wake: (() => void) | undefined;
  /** Set when the broker sent something that is not a sane response frame. */
  protocolError: string | undefined;
  /**
   * performance.now() just before connect was called: no earlier than anything the broker
   * did with the connection (it accepted it later), however late our own events run.
   */
  readonly connectStartedAtMs: number;
  /** performance.now() when it closed (either side), once it has. */
  closedAtMs: number | undefined;

  private constructor(socket: Socket, connectStartedAtMs: number, transport: Socket = socket) {
    this.socket = socket;
    this.transport = transport;
    this.connectStartedAtMs = connectStartedAtMs;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onClosed());
    // ECONNRESET and friends end in 'close'; nothing else to do with them.
    socket.on('error', () => undefined);
  }

  static connect(host: string, port: number, timeoutMs = 5_000, options: ConnectOptions = {}): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const startedAtMs = performance.now();
      const tcp = net.connect({ host, port, noDelay: true, ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}) });
      const socket = options.tls === undefined ? tcp : tls.connect({ ...options.tls, socket: tcp });
      // Under TLS the TCP socket's own resets surface on the TLS socket; this one must not throw.
      if (socket !== tcp) tcp.on('error', () => undefined);
      const timer = setTimeout(() => {
        socket.destroy();
        tcp.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once(options.tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new WireConnection(socket, startedAtMs, tcp));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        tcp.destroy();
        reject(e);
      });
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Resolves once the bytes are handed to the kernel (false if the socket failed first). */
  write(bytes: Buffer): Promise<boolean> {
    if (this.closedFlag || this.socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => this.socket.write(bytes, (err) => resolve(err == null)));
  }

  /** The next response frame, the close, or a timeout. */
  async next(timeoutMs: number): Promise<WireEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) return { kind: 'frame', frame };
      if (this.closedFlag) return { kind: 'closed' };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * Stops reading: the broker's answers pile up in the kernel's buffers and then in its
   * own. A paused socket learns of the broker's close only when a write fails.
   */
  pauseReading(): void {
    this.socket.pause();
  }

  /** Writes without waiting for the kernel to take the bytes (it may not, from a client that stopped reading). */
  writeAndForget(bytes: Buffer): void {
    if (!this.closedFlag && !this.socket.destroyed) this.socket.write(bytes, () => undefined);
  }

  /** Waits up to `timeoutMs` for the connection to close, without taking any frame; whether it did. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closedFlag) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Our FIN; the broker is expected to close in turn. */
  end(): void {
    this.socket.end();
  }

  /** Our RST. */
  reset(): void {
    if (!this.transport.destroyed) this.transport.resetAndDestroy();
    if (!this.socket.destroyed) this.socket.destroy();
  }

  destroy(): void {
    // A reset rather than a FIN: no TIME_WAIT left behind by a connection we give up on.
    this.reset();
  }

  private onData(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    while (this.bufferedBytes >= 4) {
      const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
      this.buffered = [all];
      const size = all.readInt32BE(0);
      if (size < 4 || size > MAX_RESPONSE_BYTES) {
        this.protocolError = `response size prefix ${size}`;
        this.destroy();
        return;
      }
      if (all.length < 4 + size) break;
      this.frames.push(all.subarray(4, 4 + size));
      const rest = all.subarray(4 + size);
      this.buffered = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
    }
    this.wake?.();
  }

  private onClosed(): void {
    this.closedFlag = true;
    this.closedAtMs ??= performance.now();
    this.wake?.();
  }
}

/** The header fields of a request frame (with its size prefix), as the broker reads them. */
export interface RequestHeaderView {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
}

export function requestHeaderOf(frameWithPrefix: Buffer): RequestHeaderView | undefined {
  if (frameWithPrefix.length < 12) return undefined;
  return { apiKey: frameWithPrefix.readInt16BE(4), apiVersion: frameWithPrefix.readInt16BE(6), correlationId: frameWithPrefix.readInt32BE(8) };
}

/** ApiVersions v2: the request that follows every 'await' case (classic header, empty body). */
export const SENTINEL_API_VERSION = 2;

export function sentinelRequest(correlationId: number): Buffer {
  return encodeRequest(ApiKey.ApiVersions, SENTINEL_API_VERSION, correlationId, 'stratus-fuzz-sentinel', {});
}

export type Judgement =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly errorCodes: readonly number[]; readonly topLevelErrorCode: number | undefined }
  | { readonly kind: 'undecodable'; readonly reason: string };

function errorCodesIn(value: unknown, out: number[], depth = 0): void {
  if (depth > 12 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return;
  if (Array.isArray(value)) {
    for (const v of value) errorCodesIn(v, out, depth + 1);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'number' && /errorcode$/i.test(k)) {
      if (v !== ErrorCode.NONE) out.push(v);
    } else if (typeof v === 'object') errorCodesIn(v, out, depth + 1);
  }
}

/**
 * Decodes a response to a request of (apiKey, apiVersion) and says whether it carries
 * an error. ApiVersions answers an unsupported version in v0, whatever was asked.
 */
export function judgeResponse(apiKey: number, apiVersion: number, frame: Buffer): Judgement {
  const spec = apiSpecs.get(apiKey);
  if (spec === undefined) return { kind: 'undecodable', reason: `answer to unknown API key ${apiKey}` };
  let decoded = decodeResponse(apiKey as ApiKeyNumber, apiVersion, frame);
  if (!decoded.ok && apiKey === ApiKey.ApiVersions) decoded = decodeResponse(ApiKey.ApiVersions, 0, frame);
  if (!decoded.ok) return { kind: 'undecodable', reason: decoded.error.message };
  const codes: number[] = [];
  errorCodesIn(decoded.value.body, codes);
  if (codes.length === 0) return { kind: 'ok' };
  const top = (decoded.value.body as { errorCode?: unknown }).errorCode;
  return { kind: 'error', errorCodes: codes, topLevelErrorCode: typeof top === 'number' ? top : undefined };
}

/** The error code of the first partition of a Produce answer (undefined when there is none or it does not decode). */
export function producePartitionErrorCode(apiVersion: number, frame: Buffer): number | undefined {
  const decoded = decodeResponse(ApiKey.Produce, apiVersion, frame);
  if (!decoded.ok) return undefined;
  return decoded.value.body.responses[0]?.partitionResponses[0]?.errorCode;
}

/** One request on a fresh connection, decoded; throws on anything but a decodable answer. */
export async function request<K extends ApiKeyNumber>(host: string, port: number, apiKey: K, version: number, body: Parameters<typeof encodeRequest<K>>[4], timeoutMs = 10_000) {
  const conn = await WireConnection.connect(host, port);
  try {
    const correlationId = 4242;
    if (!(await conn.write(encodeRequest(apiKey, version, correlationId, 'stratus-fuzz-setup', body)))) throw new Error('write failed');
    const e = await conn.next(timeoutMs);
    if (e.kind !== 'frame') throw new Error(`API ${apiKey} v${version}: ${e.kind} instead of an answer`);
    const decoded = decodeResponse(apiKey, version, e.frame);
    if (!decoded.ok) throw new Error(`API ${apiKey} v${version}: undecodable answer: ${decoded.error.message}`);
    if (decoded.value.correlationId !== correlationId) throw new Error(`API ${apiKey} v${version}: correlation id ${decoded.value.correlationId}`);
    return decoded.value.body;
  } finally {
    conn.destroy();
  }
}

/**
 * Sends ApiVersions on its own connection every `intervalMs` and records round trips:
 * how long the broker could not answer a trivial request (a frozen event loop shows here).
 */
export class LivenessProbe {
  readonly roundTripsMs: number[] = [];
  failures = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(host: string, port: number, intervalMs: number) {
    this.loop = this.run(host, port, intervalMs);
  }

  private async run(host: string, port: number, intervalMs: number): Promise<void> {
    let conn: WireConnection | undefined;
    let correlationId = 0;
    while (this.running) {
      try {
        conn ??= await WireConnection.connect(host, port);
        const started = performance.now();
        if (!(await conn.write(sentinelRequest(++correlationId)))) throw new Error('write failed');
        const e = await conn.next(60_000);
        if (e.kind !== 'frame' || e.frame.readInt32BE(0) !== correlationId) throw new Error(`probe: ${e.kind}`);
        this.roundTripsMs.push(performance.now() - started);
      } catch {
        this.failures++;
        conn?.destroy();
        conn = undefined;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    conn?.destroy();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
