// Test harness for the Kafka listener: a real KafkaServer on 127.0.0.1 port 0, raw
// node:net clients with their own (deliberately naive) response parser, and a frame
// format for fake dispatchers: [size i32][id i32][payload]. Responses echo the id so a
// test can check order. Nothing here knows Kafka APIs; neither does the server.

import net from 'node:net';
import { vi } from 'vitest';
import type { ManualClock } from '@stratus/runtime';
import type { DispatchResult } from '../../../src/dispatcher.ts';
import { KafkaServer } from '../../../src/network/index.ts';
import type { DispatchFn, KafkaServerOptions } from '../../../src/network/index.ts';

/** A request frame (size prefix included) carrying `id` and `payloadBytes` filler bytes. */
export function request(id: number, payloadBytes = 0): Buffer {
  const out = Buffer.alloc(8 + payloadBytes, id & 0xff);
  out.writeInt32BE(4 + payloadBytes, 0);
  out.writeInt32BE(id, 4);
  return out;
}

export function requests(ids: Iterable<number>, payloadBytes = 0): Buffer {
  return Buffer.concat([...ids].map((id) => request(id, payloadBytes)));
}

/** The id of a request frame as dispatch sees it (no size prefix). */
export function idOf(frame: Buffer): number {
  return frame.readInt32BE(0);
}

/** A response in two chunks (prefix+id, then payload) so chunked writes are exercised. */
export function respond(id: number, payloadBytes = 0): DispatchResult {
  const head = Buffer.alloc(8);
  head.writeInt32BE(4 + payloadBytes, 0);
  head.writeInt32BE(id, 4);
  return { kind: 'response', chunks: payloadBytes > 0 ? [head, Buffer.alloc(payloadBytes, 0x5a)] : [head] };
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Polls a condition (state changes inside the server emit no event a client can see). */
export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  await vi.waitFor(
    () => {
      if (!condition()) throw new Error(`timed out waiting for: ${what}`);
    },
    { timeout: timeoutMs, interval: 2 },
  );
}

/**
 * Advances a ManualClock by `ms`, one sweep (`sweepMs`) at a time, each time waiting until
 * the server's sweep is done. A sweep that reads the kernel's send queues (answers wait
 * behind a full kernel buffer: send-stall.ts) awaits the thread pool, and time moved past
 * its next deadline before it sleeps again would skip that sweep.
 */
export async function advanceBySweeps(clock: ManualClock, ms: number, sweepMs: number): Promise<void> {
  for (let done = 0; done < ms; done += sweepMs) {
    await until(() => clock.pending > 0, 'the sweep sleeps again');
    await clock.advance(Math.min(sweepMs, ms - done));
  }
  await until(() => clock.pending > 0, 'the sweep sleeps again');
}

/** Lets pending I/O and timers run, to check that something does NOT happen. */
export function quiet(ms = 30): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const running = new Set<KafkaServer>();

/** A server on 127.0.0.1, a free port (or the given listeners); `port` is the first listener's, `ports` each one's by name. */
export async function startServer(dispatch: DispatchFn, options: KafkaServerOptions = {}): Promise<{ server: KafkaServer; port: number; ports: ReadonlyMap<string, number> }> {
  const server = new KafkaServer(dispatch, { ...(options.listeners === undefined ? { host: '127.0.0.1', port: 0 } : {}), closeLingerMs: 1_000, ...options });
  const bound = await server.listen();
  running.add(server);
  return { server, port: bound[0]!.address.port, ports: new Map(bound.map((b) => [b.name, b.address.port])) };
}

/** afterEach: cut whatever a failed test left behind. */
export async function stopAllServers(): Promise<void> {
  const servers = [...running];
  running.clear();
  await Promise.all(servers.map((s) => s.close({ drainTimeoutMs: 0 })));
}

export class RawClient {
  readonly socket: net.Socket;
  /** Response bodies (size prefix stripped), in arrival order. */
  readonly responses: Buffer[] = [];
  readonly closed: Promise<void>;
  /** Set when the server closed or reset the connection. */
  error: Error | undefined;
  isClosed = false;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Bytes needed before parsing is worth a concat: linear even for 8 MiB responses. */
  private neededBytes = 4;
  private readonly waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => (this.error = err));
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.notify();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  ids(): number[] {
    return this.responses.map((r) => r.readInt32BE(0));
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves once `count` responses arrived; rejects if the connection closes first. */
  waitForResponses(count: number): Promise<void> {
    return this.waitUntil(() => this.responses.length >= count, `${count} responses (have ${this.responses.length})`);
  }

  private waitUntil(condition: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          this.waiters.delete(check);
          resolve();
        } else if (this.isClosed) {
          this.waiters.delete(check);
          reject(new Error(`connection closed before ${what}; got ids ${this.ids().slice(-5).join(',')}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
    if (this.chunkBytes < this.neededBytes) return;
    let rest = Buffer.concat(this.chunks, this.chunkBytes);
    this.neededBytes = 4;
    while (rest.length >= 4) {
      const size = rest.readInt32BE(0);
      if (rest.length < 4 + size) {
        this.neededBytes = 4 + size;
        break;
      }
      this.responses.push(rest.subarray(4, 4 + size));
      rest = rest.subarray(4 + size);
    }
    this.chunks = rest.length > 0 ? [rest] : [];
    this.chunkBytes = rest.length;
    this.notify();
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}
