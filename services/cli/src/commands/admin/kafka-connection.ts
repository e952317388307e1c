// One TCP connection to a broker's Kafka listener, speaking the wire protocol through the
// project's own codec (@stratus/protocol's encodeRequest/decodeResponse): what the
// Kafka-protocol commands of `stratus admin` (topics, groups) send. Requests are
// pipelined with correlation ids; each has a deadline. No retries here: an admin command
// says what failed and the operator runs it again.

import net from 'node:net';
import type { Socket } from 'node:net';
import { decodeResponse, encodeRequest } from '@stratus/protocol';
import type { ApiKeyNumber, Input, RequestTypes, ResponseTypes } from '@stratus/protocol';

/** Larger responses are not an admin answer (a broker bug or not a Kafka port). */
const MAX_RESPONSE_BYTES = 100 * 1024 * 1024;
const CLIENT_ID = 'stratus-admin';

/** A connection or request that failed: the broker was unreachable, closed, timed out or answered garbage. */
export class KafkaCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaCallError';
  }
}

interface Pending {
  readonly apiKey: ApiKeyNumber;
  readonly version: number;
  readonly resolve: (frame: Buffer) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class KafkaConnection {
  readonly address: string;
  private readonly socket: Socket;
  private readonly requestTimeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private buffered: Buffer = Buffer.alloc(0);
  private failure: Error | undefined;

  private constructor(address: string, socket: Socket, requestTimeoutMs: number) {
    this.address = address;
    this.socket = socket;
    this.requestTimeoutMs = requestTimeoutMs;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(new KafkaCallError(`${address}: ${e.message}`)));
    socket.on('close', () => this.fail(new KafkaCallError(`${address} closed the connection`)));
  }

  static connect(host: string, port: number, timeoutMs: number, requestTimeoutMs: number): Promise<KafkaConnection> {
    const address = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KafkaCallError(`${address}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new KafkaConnection(address, socket, requestTimeoutMs));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new KafkaCallError(`${address}: ${e.message}`));
      });
    });
  }

  /** Sends one request at `version` and resolves with the decoded response body. */
  request<K extends ApiKeyNumber>(apiKey: K, version: number, body: Input<RequestTypes[K]>): Promise<ResponseTypes[K]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequest(apiKey, version, correlationId, CLIENT_ID, body);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new KafkaCallError(`${this.address}: no answer to API ${apiKey} within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(correlationId, { apiKey, version, resolve, reject, timer });
      this.socket.write(frame);
    }).then((response) => {
      const decoded = decodeResponse(apiKey, version, response);
      if (!decoded.ok) throw new KafkaCallError(`${this.address}: could not decode the answer to API ${apiKey} v${version}: ${decoded.error.message}`);
      return decoded.value.body;
    });
  }

  close(): void {
    this.failure ??= new KafkaCallError(`${this.address}: closed`);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (size < 4 || size > MAX_RESPONSE_BYTES) {
        this.fail(new KafkaCallError(`${this.address}: a response of ${size} bytes is not a Kafka answer (is this a broker's Kafka port?)`));
        this.socket.destroy();
        return;
      }
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const p = this.pending.get(frame.readInt32BE(0));
      if (p === undefined) continue; // its request timed out
      this.pending.delete(frame.readInt32BE(0));
      clearTimeout(p.timer);
      p.resolve(frame);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(this.failure);
    }
    this.pending.clear();
  }
}
