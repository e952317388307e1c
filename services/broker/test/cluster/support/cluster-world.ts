// Several brokers in one test process, as a cluster: one real Controller (memory metadata
// store, real time), one MemoryObjectStore they all upload to and read from, and per
// broker its own WAL directory, storage engine and Kafka listener on 127.0.0.1 (a port
// picked free beforehand, so Metadata advertises where kafkajs can connect).
//
// Each broker reaches the controller through a ControllerLink: the real controller, with
// a switch that makes the broker's own calls (registerBroker, heartbeat, releasePartition,
// or a chosen few of them) fail as a network partition between that broker and the
// controller would. Everything else passes straight through.

import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, MemoryMetadataStore } from '@stratus/controller';
import type { ControllerApi, ControllerOptions, TopicInfo } from '@stratus/controller';
import { MemoryObjectStore } from '@stratus/objectstore';
import { encodeRequest, errorName } from '@stratus/protocol';
import type { ApiKeyNumber, Input, RequestTypes, ResponseTypes } from '@stratus/protocol';
import { systemClock, systemRandom } from '@stratus/runtime';
import { StorageEngine, storeReader } from '@stratus/storage';
import { openWal } from '@stratus/wal';
import { Broker } from '../../../src/broker.ts';
import type { BrokerClusterOptions, ClusterEvent } from '../../../src/broker.ts';
import type { BrokerConfig } from '../../../src/broker-context.ts';
import { decodeOutcome } from '../../data-path/support/world.ts';

export { eventually } from '../../data-path/support/world.ts';

const KEY_PREFIX = 'cluster-test';

/** The calls a partitioned link refuses: what a broker sends on its own behalf. */
const CUT_CALLS = ['registerBroker', 'heartbeat', 'releasePartition'] as const;
type CutCall = (typeof CUT_CALLS)[number];

export class ControllerLink {
  /** The calls that fail now. */
  private readonly cut = new Set<string>();
  readonly api: ControllerApi;

  /** Cuts the link for `calls` (all the broker's own calls by default). */
  down(calls: readonly CutCall[] = CUT_CALLS): void {
    for (const c of calls) this.cut.add(c);
  }

  up(): void {
    this.cut.clear();
  }

  constructor(controller: Controller) {
    this.api = new Proxy(controller as unknown as ControllerApi, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if ((CUT_CALLS as readonly string[]).includes(String(prop))) {
          return (...args: unknown[]) => (this.cut.has(String(prop)) ? Promise.reject(new Error(`link to the controller is down (${String(prop)})`)) : (value as (...a: unknown[]) => unknown).apply(target, args));
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  }
}

export interface BrokerSpec {
  readonly nodeId: number;
  readonly rack?: string | null;
}

export interface RunningBroker {
  readonly nodeId: number;
  readonly port: number;
  readonly dir: string;
  readonly link: ControllerLink;
  readonly storage: StorageEngine;
  readonly broker: Broker;
  readonly events: ClusterEvent[];
}

export interface ClusterWorldOptions {
  readonly brokers: readonly BrokerSpec[];
  /** Default: the lease below, matching the controller's. */
  readonly cluster?: Omit<BrokerClusterOptions, 'onEvent'>;
  /** Default: the cluster settings below (short, so tests see leases lapse in seconds). */
  readonly controller?: Partial<Pick<ControllerOptions, 'cluster'>>;
  readonly broker?: Partial<BrokerConfig>;
}

/** Short leases for tests; brokers fence themselves 500 ms before the controller would. */
export const TEST_LEASE = { leaseMs: 3_000, heartbeatIntervalMs: 300, safetyMarginMs: 500, requestTimeoutMs: 500, registerBackoffBaseMs: 50, registerBackoffMaxMs: 500 };
export const TEST_CONTROLLER_CLUSTER = { brokerLeaseMs: 3_000, heartbeatIntervalMs: 300, checkIntervalMs: 50 };

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export class ClusterWorld {
  readonly controller: Controller;
  readonly objectStore: MemoryObjectStore;
  readonly brokers = new Map<number, RunningBroker>();
  readonly errors: { nodeId: number; error: unknown; context: string }[] = [];
  private readonly options: ClusterWorldOptions;
  private readonly dirs: string[] = [];
  private correlationId = 0;

  private constructor(controller: Controller, objectStore: MemoryObjectStore, options: ClusterWorldOptions) {
    this.controller = controller;
    this.objectStore = objectStore;
    this.options = options;
  }

  static async open(options: ClusterWorldOptions): Promise<ClusterWorld> {
    const objectStore = new MemoryObjectStore(KEY_PREFIX);
    const errors: ClusterWorld['errors'] = [];
    const controller = await Controller.open({
      store: new MemoryMetadataStore(),
      objectStore,
      clock: systemClock,
      random: systemRandom,
      objectKeyPrefix: KEY_PREFIX,
      onBackgroundError: (error, context) => errors.push({ nodeId: -1, error, context }),
      cluster: TEST_CONTROLLER_CLUSTER,
      ...options.controller,
    });
    // The check loop fences lapsed brokers, times moves out and rebalances (with retention and compaction).
    controller.start();
    const world = new ClusterWorld(controller, objectStore, options);
    world.errors.push(...errors);
    for (const b of options.brokers) await world.startBroker(b);
    return world;
  }

  broker(nodeId: number): RunningBroker {
    const b = this.brokers.get(nodeId);
    if (b === undefined) throw new Error(`broker ${nodeId} is not running`);
    return b;
  }

  /** kafkajs bootstrap list of the running brokers. */
  bootstrap(): string[] {
    return [...this.brokers.values()].map((b) => `127.0.0.1:${b.port}`);
  }

  async startBroker(spec: BrokerSpec, dir?: string): Promise<RunningBroker> {
    const walDir = dir ?? mkdtempSync(join(tmpdir(), `stratus-cluster-${spec.nodeId}-`));
    if (dir === undefined) this.dirs.push(walDir);
    const port = await freePort();
    const link = new ControllerLink(this.controller);
    const { wal } = await openWal({ dir: walDir, clock: systemClock, segmentBytes: 1024 * 1024, capacityBytes: 64 * 1024 * 1024 });
    const storage = await StorageEngine.open({
      wal,
      store: this.objectStore,
      index: link.api,
      reader: storeReader(this.objectStore),
      clock: systemClock,
      random: systemRandom,
      nodeId: spec.nodeId,
      keyPrefix: KEY_PREFIX,
      // Local-durability data uploads after 200 ms, so tests can see it acknowledged but not committed.
      upload: { maxObjectBytes: 1024 * 1024, maxDelayMs: 200, urgentDelayMs: 5, retryBaseDelayMs: 5, retryMaxDelayMs: 50 },
      onError: (error, context) => this.errors.push({ nodeId: spec.nodeId, error, context }),
    });
    const events: ClusterEvent[] = [];
    const broker = await Broker.start({
      config: {
        nodeId: spec.nodeId,
        advertisedHost: '127.0.0.1',
        advertisedPort: port,
        rack: spec.rack ?? null,
        autoCreateTopics: false,
        defaultPartitions: 1,
        fetchMaxBytes: 52_428_800,
        fetchMaxWaitMs: 10_000,
        groupMinSessionTimeoutMs: 6_000,
        groupMaxSessionTimeoutMs: 300_000,
        groupInitialRebalanceDelayMs: 0,
        offsetsRetentionMs: 604_800_000,
        messageMaxBytes: 1_048_588,
        maxDecompressedBatchBytes: 64 * 1024 * 1024,
        ...this.options.broker,
      },
      controller: link.api,
      storage,
      clock: systemClock,
      network: { host: '127.0.0.1', port, closeLingerMs: 100 },
      cluster: { lease: TEST_LEASE, ...this.options.cluster, onEvent: (e) => events.push(e) },
      onProblem: (problem, _header, error) => this.errors.push({ nodeId: spec.nodeId, error: error ?? problem, context: problem }),
    });
    const running: RunningBroker = { nodeId: spec.nodeId, port, dir: walDir, link, storage, broker, events };
    this.brokers.set(spec.nodeId, running);
    return running;
  }

  /** Graceful stop: drain, flush the WAL to objects, close. */
  async stopBroker(nodeId: number): Promise<void> {
    const b = this.broker(nodeId);
    this.brokers.delete(nodeId);
    await b.broker.close({ drainTimeoutMs: 0, flushTimeoutMs: 5_000 });
  }

  async close(): Promise<void> {
    try {
      for (const id of [...this.brokers.keys()]) await this.stopBroker(id).catch(() => undefined);
      await this.controller.close();
    } finally {
      for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    }
  }

  async createTopic(name: string, partitions = 1, configs: Record<string, string> = {}): Promise<TopicInfo> {
    const [r] = await this.controller.createTopics([{ name, numPartitions: partitions, replicationFactor: -1, configs }], { validateOnly: false });
    if (r === undefined || r.errorCode !== 0 || r.topic === null) throw new Error(`createTopic ${name}: ${r === undefined ? 'no result' : errorName(r.errorCode)} ${r?.errorMessage ?? ''}`);
    return r.topic;
  }

  topic(name: string): TopicInfo {
    const t = this.controller.metadata().topics.find((x) => x.name === name);
    if (t === undefined) throw new Error(`no topic ${name}`);
    return t;
  }

  leaderOf(name: string, partition = 0): number {
    return this.topic(name).partitions.find((p) => p.partition === partition)!.leader;
  }

  /** Dispatches a request to one broker as its network layer would, and decodes the answer. */
  async call<K extends ApiKeyNumber>(nodeId: number, apiKey: K, version: number, body: Input<RequestTypes[K]>): Promise<ResponseTypes[K]> {
    const correlationId = ++this.correlationId;
    const frame = encodeRequest(apiKey, version, correlationId, 'cluster-test', body);
    const result = await this.broker(nodeId).broker.dispatcher.dispatch(frame.subarray(4), { connectionId: correlationId, listenerName: 'PLAINTEXT', remoteAddress: '127.0.0.1:40000', signal: new AbortController().signal });
    const outcome = decodeOutcome(apiKey, version, result, correlationId);
    if (outcome.kind !== 'response') throw new Error(`API ${apiKey} v${version} to broker ${nodeId} was not answered (${outcome.kind})`);
    return outcome.body;
  }
}
