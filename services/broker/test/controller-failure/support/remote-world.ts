// A broker whose controller is remote, as `stratus broker` runs it: a real Controller
// (memory metadata store, real time) served by a ControllerGrpcServer on loopback, and
// the broker reaching it only through a GrpcControllerClient — for its metadata, its
// handlers' calls and its storage engine's partition index. The controller can then fail
// in the two ways a remote one does:
// - stop(): the gRPC server shuts down (connections refused, the Watch stream breaks);
//   start() serves again on the same port, and the client reconnects on its own.
// - hang(): the server stays up but every call waits (a controller stuck on its store),
//   so the client's deadlines expire; release() lets the waiting calls go on.
// - freezeWatch(): calls are answered but the Watch stream carries no change, so a
//   mutation's metadata version never reaches the broker within the client's wait
//   (ControllerMetadataLagError); thawWatch() delivers the changes held back.
// The broker listens on 127.0.0.1 for raw sockets and Kafka clients. Its lease is off:
// the controller runs no check loop here, and a self-fenced broker would answer
// NOT_LEADER_OR_FOLLOWER for reasons of its own.
//
// The client's timings are short (300 ms per attempt, 600 ms per call) so that every
// failed call is answered in well under a second.

import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, ControllerGrpcServer, GrpcControllerClient, MemoryMetadataStore } from '@stratus/controller';
import type { ControllerApi, TopicInfo } from '@stratus/controller';
import { MemoryObjectStore } from '@stratus/objectstore';
import { errorName } from '@stratus/protocol';
import { SeededRandom, systemClock, systemRandom } from '@stratus/runtime';
import { StorageEngine, storeReader } from '@stratus/storage';
import { openWal } from '@stratus/wal';
import { Broker } from '../../../src/broker.ts';
import type { BrokerConfig } from '../../../src/broker-context.ts';

const NODE_ID = 1;
const KEY_PREFIX = 'controller-failure';

/** The gRPC client's settings: short, so a failed call is answered quickly. */
export const CLIENT_TIMINGS = {
  callTimeoutMs: 300,
  operationTimeoutMs: 600,
  maxAttempts: 2,
  retryInitialBackoffMs: 20,
  retryMaxBackoffMs: 100,
  metadataWaitMs: 1_000,
  connectTimeoutMs: 5_000,
  watchInitialBackoffMs: 50,
  watchMaxBackoffMs: 200,
  maxReconnectBackoffMs: 200,
} as const;

/** The ControllerApi the server serves: the real controller, whose calls can be made to hang. */
class Stallable {
  readonly api: ControllerApi;
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  /** While frozen, the watch listeners that were told nothing of a change since. */
  private frozen: Map<(m: unknown) => void, () => void> | undefined;
  /** Calls waiting at the gate now. */
  waiting = 0;

  constructor(controller: Controller) {
    this.api = new Proxy(controller as unknown as ControllerApi, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        const fn = value as (...a: unknown[]) => unknown;
        // metadata() and watch() are synchronous: the server's Watch stream keeps working,
        // unless frozen — then changes are held back per listener until thawed.
        if (prop === 'metadata') return fn.bind(target);
        if (prop === 'watch') {
          return (listener: (m: unknown) => void) =>
            fn.call(target, (m: unknown) => {
              if (this.frozen !== undefined) this.frozen.set(listener, () => listener(target.metadata()));
              else listener(m);
            });
        }
        return async (...args: unknown[]) => {
          const gate = this.gate;
          if (gate !== undefined) {
            this.waiting++;
            try {
              await gate.promise;
            } finally {
              this.waiting--;
            }
          }
          return fn.apply(target, args);
        };
      },
    });
  }

  hang(): void {
    if (this.gate !== undefined) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  freezeWatch(): void {
    this.frozen ??= new Map();
  }

  thawWatch(): void {
    const held = this.frozen;
    this.frozen = undefined;
    for (const deliver of held?.values() ?? []) deliver();
  }
}

export interface RemoteWorldOptions {
  readonly broker?: Partial<BrokerConfig>;
}

export class RemoteControllerWorld {
  readonly controller: Controller;
  readonly client: GrpcControllerClient;
  readonly broker: Broker;
  readonly storage: StorageEngine;
  readonly objectStore: MemoryObjectStore;
  /** The controller's gRPC port: the same after stop() and start(). */
  readonly controllerPort: number;
  /** Problems the dispatcher reported (closed connections, handler failures). */
  readonly problems: { problem: string; error?: unknown }[] = [];
  /** Background errors: storage engine, controller, gRPC client (expected while the controller is down). */
  readonly errors: { error: unknown; context: string }[];
  private readonly stallable: Stallable;
  private readonly dir: string;
  private server: ControllerGrpcServer | undefined;

  private constructor(p: {
    controller: Controller;
    client: GrpcControllerClient;
    broker: Broker;
    storage: StorageEngine;
    objectStore: MemoryObjectStore;
    server: ControllerGrpcServer;
    stallable: Stallable;
    dir: string;
    errors: { error: unknown; context: string }[];
    problems: { problem: string; error?: unknown }[];
  }) {
    this.controller = p.controller;
    this.client = p.client;
    this.broker = p.broker;
    this.storage = p.storage;
    this.objectStore = p.objectStore;
    this.server = p.server;
    this.controllerPort = p.server.port;
    this.stallable = p.stallable;
    this.dir = p.dir;
    this.errors = p.errors;
    this.problems = p.problems;
  }

  static async open(options: RemoteWorldOptions = {}): Promise<RemoteControllerWorld> {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-controller-failure-'));
    const errors: { error: unknown; context: string }[] = [];
    const problems: { problem: string; error?: unknown }[] = [];
    const objectStore = new MemoryObjectStore(KEY_PREFIX);
    const controller = await Controller.open({
      store: new MemoryMetadataStore(),
      objectStore,
      clock: systemClock,
      random: systemRandom,
      objectKeyPrefix: KEY_PREFIX,
      onBackgroundError: (error, context) => errors.push({ error, context }),
    });
    const stallable = new Stallable(controller);
    const server = await ControllerGrpcServer.start({ api: stallable.api, port: 0, shutdownGraceMs: 100 });
    const client = await GrpcControllerClient.connect({
      target: server.address,
      random: new SeededRandom(10),
      onError: (error, context) => errors.push({ error, context: `controller client: ${context}` }),
      ...CLIENT_TIMINGS,
    });
    const { wal } = await openWal({ dir, clock: systemClock, segmentBytes: 1024 * 1024, capacityBytes: 64 * 1024 * 1024 });
    const storage = await StorageEngine.open({
      wal,
      store: objectStore,
      index: client,
      reader: storeReader(objectStore),
      clock: systemClock,
      random: systemRandom,
      nodeId: NODE_ID,
      keyPrefix: KEY_PREFIX,
      upload: { maxObjectBytes: 1024 * 1024, maxDelayMs: 30, urgentDelayMs: 5, retryBaseDelayMs: 20, retryMaxDelayMs: 200 },
      onError: (error, context) => errors.push({ error, context }),
    });
    // Metadata must advertise the port clients reach: pick a free one first.
    const kafkaPort = await freePort();
    const broker = await Broker.start({
      config: {
        nodeId: NODE_ID,
        advertisedHost: '127.0.0.1',
        advertisedPort: kafkaPort,
        rack: null,
        autoCreateTopics: true,
        defaultPartitions: 2,
        fetchMaxBytes: 52_428_800,
        fetchMaxWaitMs: 10_000,
        groupMinSessionTimeoutMs: 6_000,
        groupMaxSessionTimeoutMs: 300_000,
        groupInitialRebalanceDelayMs: 0,
        offsetsRetentionMs: 604_800_000,
        messageMaxBytes: 1_048_588,
        maxDecompressedBatchBytes: 64 * 1024 * 1024,
        ...options.broker,
      },
      controller: client,
      storage,
      clock: systemClock,
      network: { host: '127.0.0.1', port: kafkaPort, closeLingerMs: 100 },
      cluster: { lease: false },
      onProblem: (problem, _header, error) => problems.push(error === undefined ? { problem } : { problem, error }),
    });
    return new RemoteControllerWorld({ controller, client, broker, storage, objectStore, server, stallable, dir, errors, problems });
  }

  /** The broker's Kafka port. */
  get port(): number {
    return this.broker.port;
  }

  /** Shuts the controller's gRPC server down: calls are refused, the Watch stream breaks. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  /** Serves the controller again on the same port. */
  async start(): Promise<void> {
    if (this.server !== undefined) return;
    this.server = await ControllerGrpcServer.start({ api: this.stallable.api, port: this.controllerPort, shutdownGraceMs: 100 });
  }

  /** Every controller call from now on waits (past the client's deadlines) until release(). */
  hang(): void {
    this.stallable.hang();
  }

  release(): void {
    this.stallable.release();
  }

  /** Watch streams carry no change from now on until thawWatch(); calls are answered. */
  freezeWatch(): void {
    this.stallable.freezeWatch();
  }

  thawWatch(): void {
    this.stallable.thawWatch();
  }

  /** Calls waiting at the hung controller now. */
  get hungCalls(): number {
    return this.stallable.waiting;
  }

  /** Serves the controller again if a test left it down, then closes the broker (its WAL flushed), the client, the server and the controller. */
  async close(): Promise<void> {
    try {
      this.release();
      this.thawWatch();
      await this.start();
      await this.broker.close({ drainTimeoutMs: 0, flushTimeoutMs: 2_000 });
      await this.client.close();
      await this.stop();
      await this.controller.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Creates a topic through the controller itself (not the broker); fails the test on any error. */
  async createTopic(name: string, partitions = 1, configs: Record<string, string> = {}): Promise<TopicInfo> {
    const [r] = await this.controller.createTopics([{ name, numPartitions: partitions, replicationFactor: -1, configs }], { validateOnly: false });
    if (r === undefined || r.errorCode !== 0 || r.topic === null) throw new Error(`createTopic ${name}: ${r === undefined ? 'no result' : errorName(r.errorCode)} ${r?.errorMessage ?? ''}`);
    return r.topic;
  }
}

/** A port free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
