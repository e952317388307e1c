// GrpcControllerClient: ControllerApi over gRPC, so a broker uses a remote controller
// exactly as it uses the in-process one. With server.ts and the generated code, the only
// place importing @grpc/grpc-js.
//
// - metadata() stays synchronous: the client keeps a copy fed by the Watch stream (a
//   full snapshot first, then a full snapshot after every change; see server.ts). When
//   the stream breaks it re-subscribes with exponential backoff and jitter, telling the
//   server the version it has, so an unchanged controller answers `up_to_date` only.
// - Read-your-writes: a mutation that changes metadata (registerBroker, topics,
//   partitions, configs) resolves only once the watched copy reached the version the
//   server answered with, within metadataWaitMs (ControllerMetadataLagError otherwise).
//   Mutations of the index, offsets and producer ids do not change metadata and do not
//   wait.
// - Deadlines on every unary call (callTimeoutMs per attempt, operationTimeoutMs in
//   all). Retries with exponential backoff and jitter (the injected Random) only where a
//   repeat cannot change the outcome — see RETRY below, one line per RPC with the reason.
// - Errors (errors.ts): an unreachable, closed or overloaded controller is a
//   ControllerUnavailableError (retriable) once retries are spent; commit refusals come
//   back as the commit contract's CommitRefusedError / CommitTooLateError.
// - extentsFrom answers come from a bounded cache when it can answer (extent-cache.ts);
//   committedEndOffset, logStartOffset and producerBatches always ask the controller:
//   they are read when a partition opens, where a stale answer would reuse offsets.
// - Several controllers (`target` as a list; endpoints.ts): a standby's redirect names the
//   active one and is followed at once — a standby executed nothing, so even 'once' calls
//   are sent again; an unreachable endpoint makes the client try the next. A call that
//   failed with "no connection established" was never sent, so it may go to the next one
//   too. The Watch stream re-subscribes wherever the client is pointed, and a unary call
//   that succeeds cuts a Watch backoff short (a controller is reachable again).

import { ChannelCredentials, Metadata, experimental, status } from '@grpc/grpc-js';
import { injectTraceContext, traceClientCall } from './tracing.ts';
import type { CallOptions, ClientReadableStream, ClientUnaryCall, ServiceError } from '@grpc/grpc-js';
import { currentTracing, systemClock, systemRandom } from '@stratus/runtime';
import type { Clock, Random, Tracing } from '@stratus/runtime';
import { CommitRefusedError, CommitTooLateError, partitionKey } from '@stratus/partition-index';
import type { CommitResult, Extent, ObjectCommit, ProducerBatchRecord, TopicPartition } from '@stratus/partition-index';
import type {
  AlterConfigOp,
  BrokerInfo,
  BrokerRegistration,
  ClusterDescription,
  ClusterMetadata,
  CommittedOffset,
  ConfigResourceType,
  ControllerApi,
  CreateTopicRequest,
  CreateTopicResult,
  DescribeConfigsResult,
  DrainReason,
  DrainResult,
  GroupMembershipReport,
  HeartbeatResult,
  ItemResult,
  OffsetCommitItem,
  ProducerIdBlock,
} from '../controller-api.ts';
import {
  fromClusterDescription,
  fromClusterMetadata,
  fromCommitRejections,
  fromCommittedOffset,
  fromCreateTopicResult,
  fromDescribeConfigsResult,
  fromDrainBrokerResponse,
  fromExtent,
  fromItemError,
  fromProducerBatch,
  fromResource,
  nullable,
  toBroker,
  toCommitRequest,
  toReassignment,
  toCreateTopicRequest,
  toDrainReason,
  toNullableConfigs,
  toTopicPartition,
} from './convert.ts';
import {
  ControllerClientClosedError,
  ControllerInternalError,
  ControllerInvalidArgumentError,
  ControllerMetadataLagError,
  ControllerUnavailableError,
  ControllerUnimplementedError,
  ERROR_KIND_TRAILER,
  ErrorKind,
} from './errors.ts';
import { ControllerEndpoints } from './endpoints.ts';
import type { EndpointStats } from './endpoints.ts';
import { ExtentCache } from './extent-cache.ts';
import { PemFileCertificateProvider } from './tls-files.ts';
import type { PemFileWatchOptions } from './tls-files.ts';
import { ACTIVE_CONTROLLER_TRAILER, NOT_ACTIVE_KIND } from './redirect.ts';
import type { ExtentCacheOptions, ExtentCacheStats } from './extent-cache.ts';
import { ControllerServiceClient } from './generated/stratus/controller/v1/controller.ts';
import type * as pb from './generated/stratus/controller/v1/controller.ts';
import { fromPbAcl, toPbAcl, toPbAclFilter } from './acl-convert.ts';
import { fromPbEntity, toPbAlteration } from './quota-convert.ts';
import type { QuotaAlteration, QuotaEntityPart } from '../quotas/quota-model.ts';
import { fromPbAlterResult, fromPbDescribeResult, fromPbStoredCredential, toPbUpsertion } from './scram-convert.ts';
import type { ScramAlterResult, ScramCredentialRecord, ScramDeletion, ScramDescribeResult, ScramUpsertion } from '../scram/scram-model.ts';
import type { AclBinding, AclFilter } from '../acls/acl-model.ts';

export interface ClientTlsOptions extends PemFileWatchOptions {
  /** PEM CA bundle the server's certificate is checked against. Default: the system roots. Reloaded with the certificate when they change (tls-files.ts). */
  readonly caFile?: string;
  /** PEM client certificate and key, for servers that require mTLS. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The name to check the server's certificate for, when it differs from the target's host. */
  readonly serverName?: string;
}

export interface GrpcControllerClientOptions {
  /**
   * host:port of the controller, or of each controller of a cluster (one active, the
   * others standbys that redirect to it): tried in order, redirects followed.
   */
  readonly target: string | readonly string[];
  /** Plaintext when absent. */
  readonly tls?: ClientTlsOptions;
  /**
   * Backoff sleeps and waits. Must be a wall clock (systemClock, the default): call
   * deadlines are absolute times from nowMs() handed to the transport, whose timers are real.
   */
  readonly clock?: Clock;
  /** Jitter of retry and re-subscribe backoff. */
  readonly random?: Random;
  /** Deadline of one attempt of a unary call. Default 5,000. */
  readonly callTimeoutMs?: number;
  /**
   * Deadline of one attempt of registerBroker and heartbeat (at most callTimeoutMs).
   * Default 1,000. A controller that hangs (frozen, not dead: its connections stay open and
   * nothing answers) must be left for another endpoint well within a broker's self-fence
   * window (lease − margin, 5 s by default), not after callTimeoutMs. These calls are small
   * and answered from memory.
   */
  readonly leaseCallTimeoutMs?: number;
  /** After an attempt timed out, that endpoint is avoided this long (endpoints.ts). Default 5,000. */
  readonly avoidTimedOutMs?: number;
  /** No new attempt starts after this long since the call began; attempts' deadlines end by it. Default 15,000. */
  readonly operationTimeoutMs?: number;
  /** Attempts of a retriable call, the first included. Default 5. */
  readonly maxAttempts?: number;
  /** First retry backoff; doubles per attempt up to retryMaxBackoffMs, then jittered to 50-100 %. Default 50. */
  readonly retryInitialBackoffMs?: number;
  readonly retryMaxBackoffMs?: number;
  /** How long a metadata mutation waits for the watched copy to reach its version. Default 5,000. */
  readonly metadataWaitMs?: number;
  /** How long connect() waits for the first metadata. Default 10,000. */
  readonly connectTimeoutMs?: number;
  /** Re-subscribe backoff of a broken Watch stream: first and most. Defaults 100 and 5,000. */
  readonly watchInitialBackoffMs?: number;
  readonly watchMaxBackoffMs?: number;
  /** Largest message received or sent. Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /** Keepalive ping interval (finds dead connections under a quiet Watch). Default 10,000; the server accepts >= 5,000. */
  readonly keepaliveMs?: number;
  /** Most time between reconnection attempts of the channel. Default 2,000. */
  readonly maxReconnectBackoffMs?: number;
  /** The extentsFrom cache (maxExtents 0 disables it). */
  readonly extentCache?: Omit<ExtentCacheOptions, 'clock'>;
  /**
   * The broker this client serves, sent with its Watch stream: the controller takes the
   * stream's end as a sign the broker may be gone and moves its `object` partitions
   * without waiting for the lease. Only a broker's own client sets it.
   */
  readonly brokerId?: number;
  /** Watch stream breaks and listener errors, for the log. */
  readonly onError?: (error: unknown, context: string) => void;
}

/**
 * How each RPC may be retried after UNAVAILABLE / DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED,
 * where the first attempt may or may not have taken effect:
 * - 'retry': reads, and mutations whose repeat has the same effect as one call.
 * - 'once': no retry; the caller gets ControllerUnavailableError and answers the Kafka
 *   client with a retriable error, as Kafka does after a controller timeout. The call
 *   waits for the connection (waitForReady) within its deadline instead of failing fast,
 *   so a brief reconnect does not fail it.
 */
const RETRY = {
  // Re-registering the same broker sets the same record; the coordinator reset it implies is the same fact again.
  // A repeat gets a newer broker epoch; the broker uses the one answered, which is then the current one.
  registerBroker: 'retry',
  // Renews the lease from the controller's clock at the time of the call: a repeat renews it again, later.
  heartbeat: 'retry',
  // Checked against the leader and broker epochs: a repeat after the release took effect is refused
  // (the epoch moved on) and the partition is gone either way, which is what the broker asked.
  releasePartition: 'retry',
  // Desired-state setters: draining (or not) again, or asking for the same leaders again, is the same state.
  drainBroker: 'retry',
  reassignPartitions: 'retry',
  describeCluster: 'retry',
  getMetadata: 'retry',
  // A repeat of a creation that happened answers TOPIC_ALREADY_EXISTS instead of success.
  createTopics: 'once',
  // A repeat of a deletion that happened answers UNKNOWN_TOPIC_ID / UNKNOWN_TOPIC_OR_PARTITION.
  deleteTopics: 'once',
  // A repeat answers INVALID_PARTITIONS ("already has N partitions").
  createPartitions: 'once',
  describeConfigs: 'retry',
  // Replaces the whole set: the same set again is the same state.
  alterConfigs: 'retry',
  // 'set' and 'delete' are idempotent, 'append'/'subtract' are not: decided per call (see incrementalAlterConfigs).
  incrementalAlterConfigs: 'retry',
  // Idempotent per object key by the commit contract: a retry gets the first answer.
  commitObject: 'retry',
  getPartitionBounds: 'retry',
  extentsFrom: 'retry',
  producerBatches: 'retry',
  // Moves the log start to at least the offset; -1 ("the committed end") may move it to a later end on a retry, which is what was asked.
  deleteRecords: 'retry',
  // The same offsets again (with a later commit time): the same committed positions.
  commitOffsets: 'retry',
  fetchOffsets: 'retry',
  deleteOffsets: 'retry',
  deleteGroupOffsets: 'retry',
  groupsWithOffsets: 'retry',
  // A report states the coordinator's view; stating it twice leaves the same view.
  recordGroupMembership: 'retry',
  // Each call hands out a new block: a retry after a lost answer would burn one and hide the first from whoever asked.
  allocateProducerIds: 'once',
  // Storing a stored ACL again changes nothing and succeeds.
  createAcls: 'retry',
  describeAcls: 'retry',
  // A repeat after the deletion happened matches nothing and answers no bindings instead of those deleted.
  deleteAcls: 'once',
  // Setting a stored value again writes nothing, removing an absent key is a no-op: a repeat answers the same.
  alterClientQuotas: 'retry',
  describeUserScramCredentials: 'retry',
  // A repeat after the change happened answers RESOURCE_NOT_FOUND for a deletion that succeeded.
  alterUserScramCredentials: 'once',
  getScramCredential: 'retry',
} as const satisfies Record<string, 'retry' | 'once'>;

type Rpc = keyof typeof RETRY;

/** grpc-js's callback form of a unary method of the generated client. */
type UnaryMethod<Req, Res> = (request: Req, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Res) => void) => ClientUnaryCall;

const MiB = 1024 * 1024;
const RETRIABLE_STATUSES: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED]);

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`GrpcControllerClient: ${name} must be a positive integer, got ${v}`);
  return v;
}

interface VersionWaiter {
  readonly version: number;
  readonly resolve: () => void;
}

export class GrpcControllerClient implements ControllerApi {
  private readonly endpoints: ControllerEndpoints;
  /** One channel per controller address, made when first used. */
  private readonly endpointClients = new Map<string, ControllerServiceClient>();
  private readonly newEndpointClient: (address: string) => ControllerServiceClient;
  /** The TLS files being followed (closed with the client). */
  private readonly certificates: PemFileCertificateProvider | undefined;
  /** Aborted to cut the Watch stream's re-subscribe backoff short. */
  private watchWake: AbortController | undefined;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly callTimeoutMs: number;
  private readonly leaseCallTimeoutMs: number;
  private readonly avoidTimedOutMs: number;
  private readonly operationTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryInitialBackoffMs: number;
  private readonly retryMaxBackoffMs: number;
  private readonly metadataWaitMs: number;
  private readonly watchInitialBackoffMs: number;
  private readonly brokerId: number | undefined;
  private readonly watchMaxBackoffMs: number;
  private readonly onError: (error: unknown, context: string) => void;
  private readonly extents: ExtentCache;
  /** Aborts backoff sleeps and waits on close(). */
  /** Read once: with tracing off a call costs one comparison more. */
  private readonly tracing: Tracing | undefined = currentTracing();
  private readonly closeSignal = new AbortController();
  private closed = false;
  private current: ClusterMetadata | undefined;
  private readonly listeners = new Set<(metadata: ClusterMetadata) => void>();
  private waiters: VersionWaiter[] = [];
  private watchCall: ClientReadableStream<pb.WatchResponse> | undefined;
  private watchFailures = 0;
  private watchResubscribes = 0;
  /** Monotonic time the watch stream broke, until a stream delivers again (every new stream is answered at once). */
  private watchBrokenAtMs: number | undefined;

  private constructor(o: GrpcControllerClientOptions) {
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? systemRandom;
    this.callTimeoutMs = positive('callTimeoutMs', o.callTimeoutMs, 5000);
    this.leaseCallTimeoutMs = Math.min(this.callTimeoutMs, positive('leaseCallTimeoutMs', o.leaseCallTimeoutMs, 1000));
    this.avoidTimedOutMs = positive('avoidTimedOutMs', o.avoidTimedOutMs, 5000);
    this.operationTimeoutMs = positive('operationTimeoutMs', o.operationTimeoutMs, 15_000);
    this.maxAttempts = positive('maxAttempts', o.maxAttempts, 5);
    this.retryInitialBackoffMs = positive('retryInitialBackoffMs', o.retryInitialBackoffMs, 50);
    this.retryMaxBackoffMs = positive('retryMaxBackoffMs', o.retryMaxBackoffMs, 2000);
    this.metadataWaitMs = positive('metadataWaitMs', o.metadataWaitMs, 5000);
    this.watchInitialBackoffMs = positive('watchInitialBackoffMs', o.watchInitialBackoffMs, 100);
    if (o.brokerId !== undefined && (!Number.isSafeInteger(o.brokerId) || o.brokerId < 0 || o.brokerId > 2 ** 31 - 1)) throw new RangeError(`GrpcControllerClient: brokerId must be an int32 >= 0, got ${String(o.brokerId)}`);
    this.brokerId = o.brokerId;
    this.watchMaxBackoffMs = positive('watchMaxBackoffMs', o.watchMaxBackoffMs, 5000);
    this.onError = o.onError ?? (() => undefined);
    this.extents = new ExtentCache({ clock: this.clock, ...o.extentCache });
    const maxMessageBytes = positive('maxMessageBytes', o.maxMessageBytes, 16 * MiB);
    const keepaliveMs = positive('keepaliveMs', o.keepaliveMs, 10_000);
    const maxReconnectBackoffMs = positive('maxReconnectBackoffMs', o.maxReconnectBackoffMs, 2000);
    this.endpoints = new ControllerEndpoints(o.target);
    const { credentials, certificates } = channelCredentials(o.tls);
    this.certificates = certificates;
    this.newEndpointClient = (address) => new ControllerServiceClient(address, credentials, {
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_send_message_length': maxMessageBytes,
      'grpc.keepalive_time_ms': keepaliveMs,
      'grpc.keepalive_timeout_ms': Math.min(keepaliveMs, 5000),
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': Math.min(100, maxReconnectBackoffMs),
      'grpc.max_reconnect_backoff_ms': maxReconnectBackoffMs,
      ...(o.tls?.serverName !== undefined ? { 'grpc.ssl_target_name_override': o.tls.serverName, 'grpc.default_authority': o.tls.serverName } : {}),
    });
  }

  private clientFor(address: string): ControllerServiceClient {
    let client = this.endpointClients.get(address);
    if (client === undefined) {
      client = this.newEndpointClient(address);
      this.endpointClients.set(address, client);
      // Channels to redirect targets long left (controllers that moved) are closed; a call
      // still on one fails as on a lost connection, and the address gets a new one if named again.
      for (const old of this.endpoints.channelsToClose([...this.endpointClients.keys()])) {
        if (old === address) continue;
        this.endpointClients.get(old)?.close();
        this.endpointClients.delete(old);
      }
    }
    return client;
  }

  /** Which controller the client talks to now, and how often it moved. */
  endpointStats(): EndpointStats {
    return this.endpoints.stats();
  }

  /**
   * Connects, subscribes to metadata and resolves once the first metadata arrived (so
   * metadata() can answer). Rejects with ControllerUnavailableError after
   * connectTimeoutMs, leaving nothing open.
   */
  static async connect(options: GrpcControllerClientOptions): Promise<GrpcControllerClient> {
    const client = new GrpcControllerClient(options);
    const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, 10_000);
    client.subscribe();
    const ready = await client.waitForVersion(0, connectTimeoutMs);
    if (!ready) {
      await client.close();
      throw new ControllerUnavailableError(`no metadata from the controller at ${String(options.target)} within ${connectTimeoutMs} ms`, status.UNAVAILABLE);
    }
    return client;
  }

  // --- metadata and its watch ----------------------------------------------------------

  metadata(): ClusterMetadata {
    if (this.current === undefined) throw new ControllerClientClosedError();
    return this.current;
  }

  watch(listener: (metadata: ClusterMetadata) => void): () => void {
    const entry = (m: ClusterMetadata): void => listener(m);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Watch health, for metrics, /readyz and tests: `brokenForMs` is how long no stream has delivered (0 while one does). */
  watchStats(): { failures: number; resubscribes: number; version: number; brokenForMs: number } {
    const brokenForMs = this.watchBrokenAtMs === undefined ? 0 : this.clock.monotonicMs() - this.watchBrokenAtMs;
    return { failures: this.watchFailures, resubscribes: this.watchResubscribes, version: this.current?.version ?? -1, brokenForMs };
  }

  extentCacheStats(): ExtentCacheStats {
    return this.extents.stats();
  }

  private subscribe(): void {
    if (this.closed) return;
    const address = this.endpoints.current;
    const call = this.clientFor(address).watch({ knownVersion: this.current?.version ?? -1, ...(this.brokerId !== undefined ? { brokerId: this.brokerId } : {}) });
    this.watchCall = call;
    let broken = false;
    const onBroken = (err: unknown): void => {
      if (broken) return;
      broken = true;
      if (this.watchCall === call) this.watchCall = undefined;
      if (this.closed) return;
      this.watchFailures++;
      this.watchBrokenAtMs ??= this.clock.monotonicMs();
      // A redirect to another controller is followed at once (the first time in a row); else the backoff applies.
      const followed = this.steer(address, err);
      if (!followed || this.watchFailures > 1) this.onError(err, 'watch stream');
      void this.resubscribe(followed && this.watchFailures <= 1);
    };
    call.on('data', (event: pb.WatchResponse) => {
      this.watchFailures = 0;
      this.watchBrokenAtMs = undefined;
      try {
        if (event.metadata !== undefined) this.apply(fromClusterMetadata(event.metadata));
      } catch (err) {
        // A snapshot that does not decode: drop the stream and start over with a full one.
        call.cancel();
        onBroken(err);
      }
    });
    call.on('error', onBroken);
    call.on('end', () => onBroken(new Error('the controller ended the watch stream')));
  }

  private async resubscribe(now: boolean): Promise<void> {
    if (!now) {
      const delay = this.backoff(this.watchFailures, this.watchInitialBackoffMs, this.watchMaxBackoffMs);
      const wake = new AbortController();
      this.watchWake = wake;
      try {
        await this.clock.sleep(delay, AbortSignal.any([this.closeSignal.signal, wake.signal]));
      } catch {
        if (this.closed) return;
      } finally {
        if (this.watchWake === wake) this.watchWake = undefined;
      }
    }
    this.watchResubscribes++;
    this.subscribe();
  }

  private apply(m: ClusterMetadata): void {
    const had = this.current;
    // Within one cluster versions only grow; an older one is a stale answer (a lagging controller).
    if (had !== undefined && had.clusterId === m.clusterId && m.version < had.version) return;
    this.current = m;
    this.extents.retainTopics(new Set(m.topics.map((t) => t.topicId)));
    const due = this.waiters.filter((w) => w.version <= m.version);
    if (due.length > 0) {
      this.waiters = this.waiters.filter((w) => w.version > m.version);
      for (const w of due) w.resolve();
    }
    if (had !== undefined && had.version === m.version && had.clusterId === m.clusterId) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(m);
      } catch (err) {
        this.onError(err, 'watch listener');
      }
    }
  }

  /** Resolves true once the watched metadata is at `version` or later, false after `timeoutMs` or on close. */
  private waitForVersion(version: number, timeoutMs: number): Promise<boolean> {
    if (this.current !== undefined && this.current.version >= version) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timeout = new AbortController();
      const waiter: VersionWaiter = {
        version,
        resolve: () => {
          timeout.abort();
          resolve(true);
        },
      };
      this.waiters.push(waiter);
      const signal = AbortSignal.any([timeout.signal, this.closeSignal.signal]);
      this.clock.sleep(timeoutMs, signal).then(
        () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        },
        () => {
          // Aborted: resolved by apply(), or the client closed.
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(!this.closed);
        },
      );
    });
  }

  /** Read-your-writes: resolves `result` once the watched metadata reached `version`. */
  private async afterVersion<T>(version: number, result: T): Promise<T> {
    const started = this.clock.monotonicMs();
    if (await this.waitForVersion(version, this.metadataWaitMs)) return result;
    if (this.closed) throw new ControllerClientClosedError();
    throw new ControllerMetadataLagError(version, Math.round(this.clock.monotonicMs() - started), this.current?.version ?? -1);
  }

  // --- calls, deadlines and retries ---------------------------------------------------------

  private backoff(attempt: number, initialMs: number, maxMs: number): number {
    const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
    return Math.round(cap / 2 + this.random.next() * (cap / 2));
  }

  /**
   * Where the next attempt goes after `err` from `address`: a redirect moves to the
   * controller it names (true: send again at once); an unreachable or timed-out one moves
   * on to the next configured endpoint (false).
   */
  private steer(address: string, err: unknown): boolean {
    if (!isServiceError(err)) return false;
    const now = this.clock.monotonicMs();
    if (err.metadata.get(ERROR_KIND_TRAILER)[0] === NOT_ACTIVE_KIND) {
      const to = err.metadata.get(ACTIVE_CONTROLLER_TRAILER)[0];
      return this.endpoints.redirect(address, typeof to === 'string' && to !== '' ? to : null, now);
    }
    if (err.code === status.DEADLINE_EXCEEDED) this.endpoints.timedOut(address, now, now + this.avoidTimedOutMs);
    else if (err.code === status.UNAVAILABLE) this.endpoints.failed(address, now);
    return false;
  }

  private invokeOnce<Req, Res>(address: string, method: UnaryMethod<Req, Res>, request: Req, deadlineMs: number, waitForReady: boolean): Promise<Res> {
    const metadata = new Metadata({ waitForReady });
    if (this.tracing !== undefined) injectTraceContext(this.tracing, metadata);
    return new Promise<Res>((resolve, reject) => {
      method.call(this.clientFor(address), request, metadata, { deadline: this.clock.nowMs() + deadlineMs }, (error, response) => {
        if (error !== null) reject(error);
        else resolve(response);
      });
    });
  }

  private call<Req, Res>(rpc: Rpc, method: UnaryMethod<Req, Res>, request: Req, retry: 'retry' | 'once' = RETRY[rpc]): Promise<Res> {
    return this.tracing === undefined ? this.callWithRetries(rpc, method, request, retry) : traceClientCall(this.tracing, rpc, () => this.callWithRetries(rpc, method, request, retry));
  }

  private async callWithRetries<Req, Res>(rpc: Rpc, method: UnaryMethod<Req, Res>, request: Req, retry: 'retry' | 'once'): Promise<Res> {
    if (this.closed) throw new ControllerClientClosedError();
    const started = this.clock.monotonicMs();
    // Redirects followed at once in this call: bounded, so two controllers naming each other cannot loop.
    let redirects = 0;
    for (let attempt = 1; ; attempt++) {
      const remaining = this.operationTimeoutMs - (this.clock.monotonicMs() - started);
      const address = this.endpoints.current;
      try {
        // With several controllers a 'once' call fails fast on an unreachable one and may go to the next (notSent).
        const attemptMs = rpc === 'heartbeat' || rpc === 'registerBroker' ? this.leaseCallTimeoutMs : this.callTimeoutMs;
        const response = await this.invokeOnce(address, method, request, Math.max(1, Math.min(attemptMs, remaining)), retry === 'once' && !this.endpoints.several);
        this.endpoints.answered(address);
        this.watchWake?.abort();
        return response;
      } catch (err) {
        if (this.closed) throw new ControllerClientClosedError();
        const followed = this.steer(address, err);
        if (followed && redirects < this.endpoints.configured.length + 1 && remaining > 1) {
          redirects++;
          attempt--;
          continue;
        }
        const error = clientError(err, rpc);
        // A redirect or a call never sent executed nothing: any RPC may be sent again.
        const repeatable = retry === 'retry' || isRedirect(err) || notSent(err);
        const again =
          repeatable &&
          error instanceof ControllerUnavailableError &&
          attempt < this.maxAttempts &&
          !this.closed;
        if (!again) throw error;
        const delay = this.backoff(attempt - 1, this.retryInitialBackoffMs, this.retryMaxBackoffMs);
        if (this.clock.monotonicMs() - started + delay >= this.operationTimeoutMs) throw error;
        try {
          await this.clock.sleep(delay, this.closeSignal.signal);
        } catch {
          throw new ControllerClientClosedError();
        }
      }
    }
  }

  /** The generated method (on the client class's prototype), called on the generated client of the endpoint in use. */
  private unary<Req, Res>(rpc: Rpc): UnaryMethod<Req, Res> {
    return (ControllerServiceClient.prototype as unknown as Record<Rpc, UnaryMethod<Req, Res>>)[rpc];
  }

  // --- brokers ---------------------------------------------------------------------------------

  async registerBroker(broker: BrokerInfo): Promise<BrokerRegistration> {
    const r = await this.call<pb.RegisterBrokerRequest, pb.RegisterBrokerResponse>('registerBroker', this.unary('registerBroker'), { broker: toBroker(broker) });
    return this.afterVersion(r.metadataVersion, { brokerEpoch: r.brokerEpoch, leaseExpiresAtMs: r.leaseExpiresAtMs });
  }

  /** Does not wait for the watched metadata: a heartbeat changes no metadata unless it unfences, which registration does. */
  async heartbeat(nodeId: number, brokerEpoch: number): Promise<HeartbeatResult> {
    const r = await this.call<pb.HeartbeatRequest, pb.HeartbeatResponse>('heartbeat', this.unary('heartbeat'), { nodeId, brokerEpoch });
    return { leaseExpiresAtMs: r.leaseExpiresAtMs, fenced: r.fenced };
  }

  async releasePartition(tp: TopicPartition, leaderEpoch: number, brokerEpoch: number): Promise<ItemResult> {
    const r = await this.call<pb.ReleasePartitionRequest, pb.ReleasePartitionResponse>('releasePartition', this.unary('releasePartition'), {
      partition: toTopicPartition(tp),
      leaderEpoch,
      brokerEpoch,
    });
    return this.afterVersion(r.metadataVersion, fromItemError(r.error));
  }

  async drainBroker(nodeId: number, drain: boolean, reason: DrainReason = 'operator'): Promise<DrainResult> {
    const r = await this.call<pb.DrainBrokerRequest, pb.DrainBrokerResponse>('drainBroker', this.unary('drainBroker'), { nodeId, drain, reason: toDrainReason(reason) });
    return this.afterVersion(r.metadataVersion, fromDrainBrokerResponse(r, fromItemError(r.error)));
  }

  async reassignPartitions(assignments: readonly (TopicPartition & { readonly leader: number })[]): Promise<(TopicPartition & ItemResult)[]> {
    const r = await this.call<pb.ReassignPartitionsRequest, pb.ReassignPartitionsResponse>('reassignPartitions', this.unary('reassignPartitions'), {
      assignments: assignments.map(toReassignment),
    });
    return this.afterVersion(
      r.metadataVersion,
      r.results.map((x) => ({ topicId: x.topicId, partition: x.partition, ...fromItemError(x.error) })),
    );
  }

  async describeCluster(): Promise<ClusterDescription> {
    return fromClusterDescription(await this.call<pb.DescribeClusterRequest, pb.DescribeClusterResponse>('describeCluster', this.unary('describeCluster'), {}));
  }

  // --- topics ------------------------------------------------------------------------------------

  async createTopics(requests: readonly CreateTopicRequest[], options: { validateOnly: boolean }): Promise<CreateTopicResult[]> {
    const r = await this.call<pb.CreateTopicsRequest, pb.CreateTopicsResponse>('createTopics', this.unary('createTopics'), {
      topics: requests.map(toCreateTopicRequest),
      validateOnly: options.validateOnly,
    });
    return this.afterVersion(r.metadataVersion, r.results.map(fromCreateTopicResult));
  }

  async deleteTopics(topics: readonly { name?: string; topicId?: string }[]): Promise<(ItemResult & { name: string | null; topicId: string })[]> {
    const r = await this.call<pb.DeleteTopicsRequest, pb.DeleteTopicsResponse>('deleteTopics', this.unary('deleteTopics'), {
      topics: topics.map((t) => ({ ...(t.name !== undefined ? { name: t.name } : {}), ...(t.topicId !== undefined ? { topicId: t.topicId } : {}) })),
    });
    return this.afterVersion(
      r.metadataVersion,
      r.results.map((x) => ({ ...fromItemError(x.error), name: nullable(x.name), topicId: x.topicId })),
    );
  }

  async createPartitions(requests: readonly { name: string; count: number }[], options: { validateOnly: boolean }): Promise<(ItemResult & { name: string })[]> {
    const r = await this.call<pb.CreatePartitionsRequest, pb.CreatePartitionsResponse>('createPartitions', this.unary('createPartitions'), {
      topics: requests.map((t) => ({ name: t.name, count: t.count })),
      validateOnly: options.validateOnly,
    });
    return this.afterVersion(r.metadataVersion, r.results.map((x) => ({ ...fromItemError(x.error), name: x.name })));
  }

  // --- configs -----------------------------------------------------------------------------------

  async describeConfigs(resources: readonly { type: ConfigResourceType; name: string; keys: readonly string[] | null }[]): Promise<DescribeConfigsResult[]> {
    const r = await this.call<pb.DescribeConfigsRequest, pb.DescribeConfigsResponse>('describeConfigs', this.unary('describeConfigs'), {
      resources: resources.map((x) => ({ resource: { type: x.type, name: x.name }, ...(x.keys !== null ? { keys: { keys: [...x.keys] } } : {}) })),
    });
    return r.results.map(fromDescribeConfigsResult);
  }

  async alterConfigs(
    resources: readonly { type: ConfigResourceType; name: string; configs: Readonly<Record<string, string | null>> }[],
    options: { validateOnly: boolean },
  ): Promise<(ItemResult & { type: ConfigResourceType; name: string })[]> {
    const r = await this.call<pb.AlterConfigsRequest, pb.AlterConfigsResponse>('alterConfigs', this.unary('alterConfigs'), {
      resources: resources.map((x) => ({ resource: { type: x.type, name: x.name }, configs: toNullableConfigs(x.configs) })),
      validateOnly: options.validateOnly,
    });
    return this.afterVersion(r.metadataVersion, r.results.map((x) => ({ ...fromItemError(x.error), ...fromResource(x.resource) })));
  }

  async incrementalAlterConfigs(
    resources: readonly { type: ConfigResourceType; name: string; ops: readonly { name: string; op: AlterConfigOp; value: string | null }[] }[],
    options: { validateOnly: boolean },
  ): Promise<(ItemResult & { type: ConfigResourceType; name: string })[]> {
    // append/subtract applied twice would add or remove twice: such a call is not retried.
    const repeatable = resources.every((x) => x.ops.every((o) => o.op === 'set' || o.op === 'delete'));
    const r = await this.call<pb.IncrementalAlterConfigsRequest, pb.IncrementalAlterConfigsResponse>(
      'incrementalAlterConfigs',
      this.unary('incrementalAlterConfigs'),
      {
        resources: resources.map((x) => ({
          resource: { type: x.type, name: x.name },
          ops: x.ops.map((o) => ({ name: o.name, op: o.op, ...(o.value !== null ? { value: o.value } : {}) })),
        })),
        validateOnly: options.validateOnly,
      },
      repeatable ? 'retry' : 'once',
    );
    return this.afterVersion(r.metadataVersion, r.results.map((x) => ({ ...fromItemError(x.error), ...fromResource(x.resource) })));
  }

  // --- the partition index ---------------------------------------------------------------------

  async commit(commit: ObjectCommit): Promise<CommitResult> {
    const r = await this.call<pb.CommitObjectRequest, pb.CommitObjectResponse>('commitObject', this.unary('commitObject'), toCommitRequest(commit));
    return fromCommitRejections(r.rejected);
  }

  async committedEndOffset(tp: TopicPartition): Promise<number> {
    return (await this.bounds(tp)).committedEndOffset;
  }

  async logStartOffset(tp: TopicPartition): Promise<number> {
    return (await this.bounds(tp)).logStartOffset;
  }

  private bounds(tp: TopicPartition): Promise<pb.GetPartitionBoundsResponse> {
    return this.call<pb.GetPartitionBoundsRequest, pb.GetPartitionBoundsResponse>('getPartitionBounds', this.unary('getPartitionBounds'), { partition: toTopicPartition(tp) });
  }

  async extentsFrom(tp: TopicPartition, offset: number, maxExtents: number): Promise<readonly Extent[]> {
    const cached = this.extents.get(tp, offset, maxExtents);
    if (cached !== undefined) return cached;
    const fetchedAtMs = this.clock.monotonicMs();
    const r = await this.call<pb.ExtentsFromRequest, pb.ExtentsFromResponse>('extentsFrom', this.unary('extentsFrom'), {
      partition: toTopicPartition(tp),
      offset,
      maxExtents,
    });
    const extents = r.extents.map(fromExtent);
    this.extents.put(tp, extents, fetchedAtMs);
    return extents;
  }

  async producerBatches(tp: TopicPartition): Promise<readonly ProducerBatchRecord[]> {
    const r = await this.call<pb.ProducerBatchesRequest, pb.ProducerBatchesResponse>('producerBatches', this.unary('producerBatches'), { partition: toTopicPartition(tp) });
    return r.batches.map(fromProducerBatch);
  }

  async deleteRecords(tp: TopicPartition, offset: number): Promise<ItemResult & { logStartOffset: number }> {
    this.extents.invalidate(tp);
    const r = await this.call<pb.DeleteRecordsRequest, pb.DeleteRecordsResponse>('deleteRecords', this.unary('deleteRecords'), { partition: toTopicPartition(tp), offset });
    this.extents.invalidate(tp);
    return { ...fromItemError(r.error), logStartOffset: r.logStartOffset };
  }

  // --- consumer group offsets ----------------------------------------------------------------------

  async commitOffsets(group: string, offsets: readonly OffsetCommitItem[]): Promise<(TopicPartition & ItemResult)[]> {
    const r = await this.call<pb.CommitOffsetsRequest, pb.CommitOffsetsResponse>('commitOffsets', this.unary('commitOffsets'), {
      group,
      offsets: offsets.map((o) => ({
        topicId: o.topicId,
        partition: o.partition,
        offset: o.offset,
        leaderEpoch: o.leaderEpoch,
        ...(o.metadata !== null ? { metadata: o.metadata } : {}),
      })),
    });
    return r.results.map((x) => ({ topicId: x.topicId, partition: x.partition, ...fromItemError(x.error) }));
  }

  async fetchOffsets(group: string, partitions: readonly TopicPartition[] | null): Promise<Map<string, CommittedOffset>> {
    const r = await this.call<pb.FetchOffsetsRequest, pb.FetchOffsetsResponse>('fetchOffsets', this.unary('fetchOffsets'), {
      group,
      ...(partitions !== null ? { partitions: { partitions: partitions.map(toTopicPartition) } } : {}),
    });
    return new Map(r.offsets.map((o) => [partitionKey(o.topicId, o.partition), fromCommittedOffset(o)]));
  }

  async deleteOffsets(group: string, partitions: readonly TopicPartition[]): Promise<void> {
    await this.call<pb.DeleteOffsetsRequest, pb.DeleteOffsetsResponse>('deleteOffsets', this.unary('deleteOffsets'), { group, partitions: partitions.map(toTopicPartition) });
  }

  async deleteGroupOffsets(group: string): Promise<void> {
    await this.call<pb.DeleteGroupOffsetsRequest, pb.DeleteGroupOffsetsResponse>('deleteGroupOffsets', this.unary('deleteGroupOffsets'), { group });
  }

  async groupsWithOffsets(): Promise<string[]> {
    return (await this.call<pb.GroupsWithOffsetsRequest, pb.GroupsWithOffsetsResponse>('groupsWithOffsets', this.unary('groupsWithOffsets'), {})).groups;
  }

  async recordGroupMembership(group: string, report: GroupMembershipReport): Promise<void> {
    await this.call<pb.RecordGroupMembershipRequest, pb.RecordGroupMembershipResponse>('recordGroupMembership', this.unary('recordGroupMembership'), {
      group,
      nodeId: report.nodeId,
      hasMembers: report.hasMembers,
      ...(report.subscribedTopics !== null ? { subscribedTopics: { topics: [...report.subscribedTopics] } } : {}),
    });
  }

  // --- producer ids --------------------------------------------------------------------------------

  async allocateProducerIds(size: number): Promise<ProducerIdBlock> {
    const r = await this.call<pb.AllocateProducerIdsRequest, pb.AllocateProducerIdsResponse>('allocateProducerIds', this.unary('allocateProducerIds'), { size });
    return { firstProducerId: r.firstProducerId, size: r.size };
  }

  // --- Kafka ACLs ----------------------------------------------------------------------------------

  async createAcls(acls: readonly AclBinding[]): Promise<ItemResult[]> {
    const r = await this.call<pb.CreateAclsRequest, pb.CreateAclsResponse>('createAcls', this.unary('createAcls'), { acls: acls.map(toPbAcl) });
    return this.afterVersion(r.metadataVersion, r.results.map(fromItemError));
  }

  async describeAcls(filter: AclFilter): Promise<ItemResult & { acls: AclBinding[] }> {
    const r = await this.call<pb.DescribeAclsRequest, pb.DescribeAclsResponse>('describeAcls', this.unary('describeAcls'), { filter: toPbAclFilter(filter) });
    return { ...fromItemError(r.error), acls: r.acls.map(fromPbAcl) };
  }

  async deleteAcls(filters: readonly AclFilter[]): Promise<(ItemResult & { acls: AclBinding[] })[]> {
    const r = await this.call<pb.DeleteAclsRequest, pb.DeleteAclsResponse>('deleteAcls', this.unary('deleteAcls'), { filters: filters.map(toPbAclFilter) });
    return this.afterVersion(r.metadataVersion, r.results.map((x) => ({ ...fromItemError(x.error), acls: x.acls.map(fromPbAcl) })));
  }

  // --- client quotas --------------------------------------------------------------------------------

  async alterClientQuotas(alterations: readonly QuotaAlteration[], validateOnly: boolean): Promise<(ItemResult & { entity: readonly QuotaEntityPart[] })[]> {
    const r = await this.call<pb.AlterClientQuotasRequest, pb.AlterClientQuotasResponse>('alterClientQuotas', this.unary('alterClientQuotas'), { alterations: alterations.map(toPbAlteration), validateOnly });
    return this.afterVersion(r.metadataVersion, r.results.map((x) => ({ ...fromItemError(x.error), entity: fromPbEntity(x.entity) })));
  }

  // --- SCRAM credentials ----------------------------------------------------------------------------

  async describeScramCredentials(users: readonly string[] | null): Promise<ScramDescribeResult[]> {
    const req: pb.DescribeUserScramCredentialsRequest = { named: users !== null && users.length > 0, users: [...(users ?? [])] };
    const r = await this.call<pb.DescribeUserScramCredentialsRequest, pb.DescribeUserScramCredentialsResponse>('describeUserScramCredentials', this.unary('describeUserScramCredentials'), req);
    return r.results.map(fromPbDescribeResult);
  }

  async alterScramCredentials(deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsertion[]): Promise<ScramAlterResult[]> {
    const req: pb.AlterUserScramCredentialsRequest = { deletions: deletions.map((d) => ({ user: d.user, mechanism: d.mechanism })), upsertions: upsertions.map(toPbUpsertion) };
    const r = await this.call<pb.AlterUserScramCredentialsRequest, pb.AlterUserScramCredentialsResponse>('alterUserScramCredentials', this.unary('alterUserScramCredentials'), req);
    return this.afterVersion(r.metadataVersion, r.results.map(fromPbAlterResult));
  }

  async scramCredential(user: string, mechanism: number): Promise<ScramCredentialRecord | undefined> {
    const r = await this.call<pb.GetScramCredentialRequest, pb.GetScramCredentialResponse>('getScramCredential', this.unary('getScramCredential'), { user, mechanism });
    return r.credential === undefined ? undefined : fromPbStoredCredential(r.credential);
  }

  /** Ends the watch, rejects pending waits, closes the channel. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closeSignal.abort(new ControllerClientClosedError());
    this.watchCall?.cancel();
    this.watchCall = undefined;
    this.listeners.clear();
    this.extents.clear();
    for (const client of this.endpointClients.values()) client.close();
    this.endpointClients.clear();
    this.certificates?.close();
  }
}

/**
 * Plaintext, or TLS whose files are followed (tls-files.ts): a connection made after
 * cert-manager rotates the client certificate or the CA uses the new ones. A missing or
 * bad file fails here, naming itself.
 */
function channelCredentials(tls: ClientTlsOptions | undefined): { credentials: ChannelCredentials; certificates?: PemFileCertificateProvider } {
  if (tls === undefined) return { credentials: ChannelCredentials.createInsecure() };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw new RangeError('GrpcControllerClient: tls.certFile and tls.keyFile go together (mTLS)');
  const certificates = new PemFileCertificateProvider(tls, tls);
  const credentials = experimental.createCertificateProviderChannelCredentials(certificates, certificates.hasIdentity ? certificates : null);
  return { credentials, certificates };
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'metadata' in err;
}

function isRedirect(err: unknown): boolean {
  return isServiceError(err) && err.metadata.get(ERROR_KIND_TRAILER)[0] === NOT_ACTIVE_KIND;
}

/** grpc-js fails a call this way when no connection could be made (without wait-for-ready): nothing was sent. */
function notSent(err: unknown): boolean {
  return isServiceError(err) && err.code === status.UNAVAILABLE && /^No connection established/.test(err.details);
}

/** A failed attempt as the error class callers see (errors.ts), from its status and our trailer. */
function clientError(err: unknown, rpc: string): Error {
  if (!isServiceError(err)) return new ControllerInternalError(`${rpc}: ${err instanceof Error ? err.message : String(err)}`, status.INTERNAL, { cause: err });
  const kind = err.metadata.get(ERROR_KIND_TRAILER)[0];
  const details = err.details || err.message;
  if (kind === ErrorKind.commitTooLate) return new CommitTooLateError(details);
  if (kind === ErrorKind.commitRefused) return new CommitRefusedError(details);
  switch (err.code) {
    case status.INVALID_ARGUMENT:
      return new ControllerInvalidArgumentError(details, err.code);
    case status.UNIMPLEMENTED:
      return new ControllerUnimplementedError(details, err.code);
    default:
      if (RETRIABLE_STATUSES.has(err.code)) return new ControllerUnavailableError(`${rpc}: controller unavailable (${status[err.code]}): ${details}`, err.code, { cause: err });
      return new ControllerInternalError(`${rpc}: ${status[err.code] ?? err.code}: ${details}`, err.code, { cause: err });
  }
}
