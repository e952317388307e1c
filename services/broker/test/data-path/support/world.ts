// A whole broker in process for data-path tests: a Controller over a MemoryMetadataStore,
// a StorageEngine on a segmented WAL in a temp dir with a MemoryObjectStore behind it
// (read through storeReader), and a Broker assembled by Broker.start, listening on
// 127.0.0.1 port 0. Requests go through `broker.dispatcher.dispatch` exactly as the
// network layer hands them over (a frame without its size prefix), so every request is
// encoded and every answer decoded by the real codec at the version under test; one
// test file uses the socket instead.
//
// Real time (systemClock): the WAL fsyncs, the uploader and long polls run as they do in
// production, with short upload delays so objects appear within tens of milliseconds.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, MemoryMetadataStore } from '@stratus/controller';
import type { ControllerOptions, TopicInfo } from '@stratus/controller';
import { MemoryObjectStore } from '@stratus/objectstore';
import { decodeResponse, encodeRequest, errorName } from '@stratus/protocol';
import type { ApiKeyNumber, Input, RequestTypes, ResponseTypes } from '@stratus/protocol';
import { systemClock, systemRandom } from '@stratus/runtime';
import { StorageEngine, storeReader } from '@stratus/storage';
import type { StorageEngineOptions } from '@stratus/storage';
import { openWal } from '@stratus/wal';
import { Broker } from '../../../src/broker.ts';
import type { BrokerConfig } from '../../../src/broker-context.ts';
import { AclAuthorizer } from '../../../src/auth/acl-authorizer.ts';
import { ConnectionSession, parsePrincipal } from '../../../src/auth/principal.ts';
import type { ConnectionInfo, DispatchResult } from '../../../src/dispatcher.ts';
import type { ResponseAllowance } from '../../../src/handler.ts';

export const NODE_ID = 1;

export interface WorldOptions {
  readonly broker?: Partial<BrokerConfig>;
  readonly storage?: Partial<Pick<StorageEngineOptions, 'tailBytes' | 'pendingBytes' | 'appendWaitMs' | 'upload'>>;
  /** Controller settings of object compaction and garbage collection. */
  readonly controller?: Partial<Pick<ControllerOptions, 'compaction' | 'orphanSweep' | 'objectDeleteGraceMs'>>;
  /**
   * Topics created before the broker registers: they start leaderless and get this
   * broker as leader with leader epoch 1 when it registers (new topics have epoch 0).
   */
  readonly topicsBeforeRegistration?: readonly { name: string; partitions?: number; configs?: Record<string, string> }[];
  /** The broker's ACL authorizer over the controller's ACLs (absent: none, Kafka without an authorizer). */
  readonly authorization?: { readonly superUsers?: readonly string[]; readonly allowEveryoneIfNoAclFound?: boolean };
}

/** What a dispatch ended in, with the answer decoded when there is one. */
export type Outcome<T> = { readonly kind: 'response'; readonly correlationId: number; readonly body: T } | { readonly kind: 'none' } | { readonly kind: 'close'; readonly reason: string };

export interface CallOptions {
  /** The connection's close signal (long polls end when it fires). */
  readonly signal?: AbortSignal;
  readonly clientId?: string;
  /** The request's share of the response budget, as the network layer offers it. */
  readonly responseBudget?: ResponseAllowance;
  /**
   * The connection's principal (`User:alice`), as TLS or SASL would have set it: a test-only
   * path — the session is built here, not by any network code. Absent: no session (User:ANONYMOUS).
   */
  readonly principal?: string;
  /** The client's address (default 127.0.0.1:40000). */
  readonly remoteAddress?: string;
}

const DEFAULT_CONFIG: BrokerConfig = {
  nodeId: NODE_ID,
  advertisedHost: '127.0.0.1',
  advertisedPort: 9092,
  rack: null,
  autoCreateTopics: false,
  defaultPartitions: 2,
  fetchMaxBytes: 52_428_800,
  fetchMaxWaitMs: 10_000,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 300_000,
  groupInitialRebalanceDelayMs: 0,
  offsetsRetentionMs: 604_800_000,
  messageMaxBytes: 1_048_588,
  maxDecompressedBatchBytes: 64 * 1024 * 1024,
};

export class DataPathWorld {
  readonly dir: string;
  readonly controller: Controller;
  readonly objectStore: MemoryObjectStore;
  /** Problems the dispatcher reported (handler failures, closed connections). */
  readonly problems: { problem: string; error?: unknown }[] = [];
  /** Background errors of the storage engine and the controller. */
  readonly errors: { error: unknown; context: string }[];
  private readonly options: WorldOptions;
  private current: { storage: StorageEngine; broker: Broker } | undefined;
  private correlationId = 0;
  private connectionId = 0;

  private constructor(dir: string, controller: Controller, objectStore: MemoryObjectStore, options: WorldOptions, errors: { error: unknown; context: string }[]) {
    this.dir = dir;
    this.errors = errors;
    this.controller = controller;
    this.objectStore = objectStore;
    this.options = options;
  }

  static async open(options: WorldOptions = {}): Promise<DataPathWorld> {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-data-path-'));
    const objectStore = new MemoryObjectStore('data-path');
    const errors: { error: unknown; context: string }[] = [];
    const controller = await Controller.open({
      store: new MemoryMetadataStore(),
      objectStore,
      clock: systemClock,
      random: systemRandom,
      onBackgroundError: (error, context) => errors.push({ error, context }),
      // The uploader's key prefix (below), so compaction and the orphan sweep know its objects.
      objectKeyPrefix: 'data-path',
      ...options.controller,
    });
    const world = new DataPathWorld(dir, controller, objectStore, options, errors);
    for (const t of options.topicsBeforeRegistration ?? []) {
      const [r] = await controller.createTopics([{ name: t.name, numPartitions: t.partitions ?? 1, replicationFactor: -1, configs: t.configs ?? {} }], { validateOnly: false });
      if (r?.errorCode !== 0) throw new Error(`creating ${t.name} failed: ${r?.errorMessage}`);
    }
    await world.startBroker();
    return world;
  }

  get broker(): Broker {
    if (this.current === undefined) throw new Error('the broker is not running');
    return this.current.broker;
  }

  get storage(): StorageEngine {
    if (this.current === undefined) throw new Error('the broker is not running');
    return this.current.storage;
  }

  private async startBroker(): Promise<void> {
    const { wal } = await openWal({ dir: this.dir, clock: systemClock, segmentBytes: 1024 * 1024, capacityBytes: 64 * 1024 * 1024 });
    const storage = await StorageEngine.open({
      wal,
      store: this.objectStore,
      index: this.controller,
      reader: storeReader(this.objectStore),
      clock: systemClock,
      random: systemRandom,
      nodeId: NODE_ID,
      keyPrefix: 'data-path',
      upload: { maxObjectBytes: 1024 * 1024, maxDelayMs: 30, urgentDelayMs: 5, retryBaseDelayMs: 5, retryMaxDelayMs: 50 },
      onError: (error, context) => this.errors.push({ error, context }),
      ...this.options.storage,
    });
    const broker = await Broker.start({
      config: { ...DEFAULT_CONFIG, ...this.options.broker },
      controller: this.controller,
      storage,
      clock: systemClock,
      network: { host: '127.0.0.1', port: 0, closeLingerMs: 100 },
      ...(this.options.authorization !== undefined
        ? {
            authorizer: new AclAuthorizer({
              superUsers: this.options.authorization.superUsers ?? [],
              allowEveryoneIfNoAclFound: this.options.authorization.allowEveryoneIfNoAclFound ?? false,
              acls: () => this.controller.metadata().acls,
            }),
          }
        : {}),
      onProblem: (problem, _header, error) => this.problems.push(error === undefined ? { problem } : { problem, error }),
    });
    this.current = { storage, broker };
  }

  /**
   * A graceful restart of the broker process: drain, upload and commit the WAL, then a
   * new storage engine and broker over the same WAL directory, controller and objects.
   */
  async restart(): Promise<void> {
    await this.stopBroker();
    await this.startBroker();
  }

  /**
   * A crash and restart: the uploader stops without flushing (what the WAL holds stays
   * there, un-uploaded), then a new storage engine replays the WAL.
   */
  async crash(): Promise<void> {
    const running = this.current;
    if (running === undefined) throw new Error('the broker is not running');
    await running.storage.close({ flush: false });
    await this.stopBroker();
    await this.startBroker();
  }

  private async stopBroker(): Promise<void> {
    const running = this.current;
    this.current = undefined;
    if (running !== undefined) await running.broker.close({ drainTimeoutMs: 0 });
  }

  async close(): Promise<void> {
    try {
      await this.stopBroker();
      await this.controller.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Creates a topic led by this broker; fails the test on any error. */
  async createTopic(name: string, partitions = 1, configs: Record<string, string> = {}): Promise<TopicInfo> {
    const [r] = await this.controller.createTopics([{ name, numPartitions: partitions, replicationFactor: -1, configs }], { validateOnly: false });
    if (r === undefined || r.errorCode !== 0 || r.topic === null) throw new Error(`createTopic ${name}: ${r === undefined ? 'no result' : errorName(r.errorCode)} ${r?.errorMessage ?? ''}`);
    return r.topic;
  }

  topic(name: string): TopicInfo | undefined {
    return this.controller.metadata().topics.find((t) => t.name === name);
  }

  connection(signal: AbortSignal = new AbortController().signal, principal?: string, remoteAddress = '127.0.0.1:40000'): ConnectionInfo {
    const info = { connectionId: ++this.connectionId, listenerName: 'PLAINTEXT', remoteAddress, signal };
    if (principal === undefined) return info;
    const session = new ConnectionSession();
    session.principal = parsePrincipal(principal);
    return { ...info, session };
  }

  /** Encodes a request frame (size prefix included, as a client writes it). */
  frame<K extends ApiKeyNumber>(apiKey: K, version: number, body: Input<RequestTypes[K]>, correlationId = ++this.correlationId, clientId = 'data-path-test'): Buffer {
    return encodeRequest(apiKey, version, correlationId, clientId, body);
  }

  /** Dispatches a request as the network layer does and decodes what comes back. */
  async send<K extends ApiKeyNumber>(apiKey: K, version: number, body: Input<RequestTypes[K]>, options: CallOptions = {}): Promise<Outcome<ResponseTypes[K]>> {
    const correlationId = ++this.correlationId;
    const frame = this.frame(apiKey, version, body, correlationId, options.clientId);
    const result = await this.broker.dispatcher.dispatch(frame.subarray(4), this.connection(options.signal, options.principal, options.remoteAddress), options.responseBudget);
    return decodeOutcome(apiKey, version, result, correlationId);
  }

  /** `send`, for requests that must be answered: anything else fails the test. */
  async call<K extends ApiKeyNumber>(apiKey: K, version: number, body: Input<RequestTypes[K]>, options: CallOptions = {}): Promise<ResponseTypes[K]> {
    const outcome = await this.send(apiKey, version, body, options);
    if (outcome.kind !== 'response') {
      const last = this.problems[this.problems.length - 1];
      throw new Error(`API ${apiKey} v${version} was not answered (${outcome.kind}${outcome.kind === 'close' ? `: ${outcome.reason}` : ''}); last problem: ${last?.problem ?? 'none'} ${String(last?.error ?? '')}`);
    }
    return outcome.body;
  }
}

export function decodeOutcome<K extends ApiKeyNumber>(apiKey: K, version: number, result: DispatchResult, correlationId: number): Outcome<ResponseTypes[K]> {
  if (result.kind !== 'response') return result;
  const bytes = Buffer.concat(result.chunks);
  if (bytes.readInt32BE(0) !== bytes.length - 4) throw new Error(`response size prefix ${bytes.readInt32BE(0)} does not match the ${bytes.length - 4}-byte frame`);
  const decoded = decodeResponse(apiKey, version, bytes.subarray(4));
  if (!decoded.ok) throw decoded.error;
  if (decoded.value.correlationId !== correlationId) throw new Error(`correlation id ${decoded.value.correlationId}, expected ${correlationId}`);
  return { kind: 'response', correlationId, body: decoded.value.body };
}

/** Polls `condition` (background uploads and commits emit nothing a test can await). */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
