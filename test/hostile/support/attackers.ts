// Hostile Kafka clients on raw sockets, for tests against a real broker. Each kind keeps
// its number of connections up: when the broker closes one (receive timeout, stall,
// idle), another connects, so the pressure lasts as long as the attack runs. Bytes are
// trickled on one shared 1 s timer.
//
//   bigFrame   announces a frame just under socket.request.max.bytes, then one byte a second
//   trickle    a real Metadata request, one byte a second (size prefix included)
//   halfSent   announces a 1 MiB frame, sends half of it at once, then nothing
//   nonReader  pipelines Fetches of a large topic, then a Metadata request a second, and
//              never reads (a paused socket notices the broker closed it only when a write fails)

import net from 'node:net';
import { ApiKey, encodeRequest } from '@stratus/protocol';

const MiB = 1024 * 1024;
const TRICKLE_INTERVAL_MS = 1_000;
const RECONNECT_DELAY_MS = 100;
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export type AttackKind = 'bigFrame' | 'trickle' | 'halfSent' | 'nonReader';

export interface AttackOptions {
  readonly port: number;
  readonly kind: AttackKind;
  readonly connections: number;
  /** nonReader: the topic whose partition 0 it fetches from offset 0. */
  readonly fetchTopic?: string;
}

interface Trickler {
  readonly socket: net.Socket;
  readonly bytes: Buffer;
  sent: number;
}

function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size, 0);
  return b;
}

function metadataRequest(correlationId: number): Buffer {
  return encodeRequest(ApiKey.Metadata, 9, correlationId, 'hostile', {
    topics: null,
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
}

function fetchRequest(correlationId: number, topic: string): Buffer {
  return encodeRequest(ApiKey.Fetch, 12, correlationId, 'hostile', {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 16 * MiB,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 16 * MiB }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
}

/** What one connection of each kind writes at once; the rest (if any) is trickled. */
function opening(kind: AttackKind, fetchTopic: string | undefined): { now: Buffer; trickle: Buffer | undefined } {
  switch (kind) {
    case 'bigFrame':
      // 100 MiB is the default socket.request.max.bytes: just under it is accepted and reserved.
      return { now: sizePrefix(100 * MiB - 64), trickle: Buffer.alloc(3_600, 1) };
    case 'trickle':
      return { now: Buffer.alloc(0), trickle: metadataRequest(1) };
    case 'halfSent':
      return { now: Buffer.concat([sizePrefix(MiB), Buffer.alloc(MiB / 2, 2)]), trickle: undefined };
    case 'nonReader': {
      if (fetchTopic === undefined) throw new Error('nonReader needs fetchTopic');
      const frames: Buffer[] = [];
      for (let i = 0; i < 8; i++) frames.push(fetchRequest(2 * i, fetchTopic), metadataRequest(2 * i + 1));
      return { now: Buffer.concat(frames), trickle: Buffer.concat(Array.from({ length: 3_600 }, (_, i) => metadataRequest(100 + i))) };
    }
  }
}

export class Attack {
  /** Connections made, and how many of them the broker closed. */
  connects = 0;
  closedByBroker = 0;
  private readonly o: AttackOptions;
  private readonly sockets = new Set<net.Socket>();
  private readonly tricklers = new Set<Trickler>();
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(o: AttackOptions) {
    this.o = o;
    for (let i = 0; i < o.connections; i++) this.connect();
    this.timer = setInterval(() => this.tick(), TRICKLE_INTERVAL_MS);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.tricklers.clear();
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = net.connect({ host: '127.0.0.1', port: this.o.port, noDelay: true });
    this.connects++;
    this.sockets.add(socket);
    let trickler: Trickler | undefined;
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      const { now, trickle } = opening(this.o.kind, this.o.fetchTopic);
      if (this.o.kind === 'nonReader') socket.pause();
      // Reads and drops whatever comes back, except for the non-reader.
      else socket.on('data', () => undefined);
      if (now.length > 0) socket.write(now);
      if (trickle !== undefined) {
        trickler = { socket, bytes: trickle, sent: 0 };
        this.tricklers.add(trickler);
      }
    });
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (trickler !== undefined) this.tricklers.delete(trickler);
      if (this.stopped) return;
      this.closedByBroker++;
      setTimeout(() => this.connect(), RECONNECT_DELAY_MS);
    });
  }

  private tick(): void {
    // A non-reader sends a whole request per tick; the others one byte.
    const step = this.o.kind === 'nonReader' ? metadataRequest(0).length : 1;
    for (const t of this.tricklers) {
      if (t.sent >= t.bytes.length || t.socket.destroyed) continue;
      t.socket.write(t.bytes.subarray(t.sent, t.sent + step));
      t.sent += step;
    }
  }
}
