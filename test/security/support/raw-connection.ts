// One Kafka connection speaking raw frames, for tests that compare answers byte for byte
// with Apache Kafka's: each call sends a request and reads its answer, or learns the
// connection closed (which is an answer too: Kafka closes on many SASL failures).

import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { decodeResponse, encodeRequest } from '@stratus/protocol';
import type { ApiKeyNumber } from '@stratus/protocol';

/** How long a request waits for its answer before the test fails. */
const ANSWER_TIMEOUT_MS = 10_000;

export type RawAnswer = Record<string, unknown> | 'closed';

export class RawConnection {
  private readonly socket: Socket;
  private readonly clientId: string;
  private buffered = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | undefined;
  private correlation = 0;

  private constructor(socket: Socket, clientId: string) {
    this.socket = socket;
    this.clientId = clientId;
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  /** Connects to 127.0.0.1:`port`; `clientId` goes in every request header. */
  static async open(port: number, clientId: string): Promise<RawConnection> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawConnection(socket, clientId);
  }

  /** Opens a connection, runs `exchange` on it and closes it, whatever happens. */
  static async using<T>(port: number, clientId: string, exchange: (c: RawConnection) => Promise<T>): Promise<T> {
    const c = await RawConnection.open(port, clientId);
    try {
      return await exchange(c);
    } finally {
      c.close();
    }
  }

  async send<K extends ApiKeyNumber>(apiKey: K, version: number, body: unknown): Promise<RawAnswer> {
    if (this.closed) return 'closed';
    this.socket.write(encodeRequest(apiKey, version, ++this.correlation, this.clientId, body as never));
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    for (;;) {
      const frame = this.nextFrame();
      if (frame !== undefined) {
        const decoded = decodeResponse(apiKey, version, frame);
        if (!decoded.ok) throw new Error(decoded.error.message);
        return decoded.value.body as unknown as Record<string, unknown>;
      }
      if (this.closed) return 'closed';
      if (Date.now() > deadline) throw new Error('no answer in 10 s');
      await this.moreBytes();
    }
  }

  /** Writes every request at once (pipelined), then reads their answers in order: each one's body, or 'closed' from where the connection closed. */
  async pipeline(requests: readonly (readonly [ApiKeyNumber, number, unknown])[]): Promise<RawAnswer[]> {
    const first = this.correlation + 1;
    this.socket.write(Buffer.concat(requests.map(([apiKey, version, body]) => encodeRequest(apiKey, version, ++this.correlation, this.clientId, body as never))));
    const answers: RawAnswer[] = [];
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    while (answers.length < requests.length) {
      const frame = this.nextFrame();
      if (frame !== undefined) {
        const [apiKey, version] = requests[answers.length]!;
        const decoded = decodeResponse(apiKey, version, frame);
        if (!decoded.ok) throw new Error(decoded.error.message);
        if (decoded.value.correlationId !== first + answers.length) throw new Error(`answer ${decoded.value.correlationId} out of order`);
        answers.push(decoded.value.body as unknown as Record<string, unknown>);
        continue;
      }
      if (this.closed) return [...answers, 'closed'];
      if (Date.now() > deadline) throw new Error('no answer in 10 s');
      await this.moreBytes();
    }
    return answers;
  }

  close(): void {
    this.socket.destroy();
  }

  /** The next whole response frame (without its size), taken off the buffer; undefined until one has arrived. */
  private nextFrame(): Buffer | undefined {
    if (this.buffered.length < 4 || this.buffered.length < 4 + this.buffered.readInt32BE(0)) return undefined;
    const size = this.buffered.readInt32BE(0);
    const frame = this.buffered.subarray(4, 4 + size);
    this.buffered = this.buffered.subarray(4 + size);
    return frame;
  }

  /** Resolves when bytes arrive or the connection closes, or after 100 ms at most. */
  private moreBytes(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      setTimeout(resolve, 100);
    });
  }
}
