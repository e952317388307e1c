// One broker process's Kafka side, assembled: the handlers of every API key, the
// dispatcher that routes frames to them, the network listener, the partition manager
// and the group coordinator — over a controller and a storage engine it is given.
// Shutdown order matters: stop taking requests, finish those in flight, then let the
// storage engine upload and commit what the WAL holds.
//
// In a cluster (`cluster` options) the broker also keeps a lease with the controller
// (cluster/lease-keeper.ts: heartbeats, self-fencing), hands over the partitions the
// controller moves away (cluster/hand-over.ts), and serves committed data of partitions
// other brokers lead to consumers of its rack (cluster/replica-reads.ts, KIP-392).

import type { ControllerApi } from '@stratus/controller';
import type { ParsedRequestHeader } from '@stratus/protocol';
import type { Clock } from '@stratus/runtime';
import type { StorageEngine } from '@stratus/storage';
import { TopicCatalog } from './broker-context.ts';
import type { BrokerConfig, BrokerContext } from './broker-context.ts';
import { Dispatcher } from './dispatcher.ts';
import type { DispatcherEvents, ProblemConnection } from './dispatcher.ts';
import type { AnyApiHandler } from './handler.ts';
import type { Authorizer } from './auth/authorized-operations.ts';
import type { SaslAuthenticator } from './auth/sasl/index.ts';
import { saslReceiveLimit } from './auth/sasl/receive-limit.ts';
import { saslHandshakeHandler } from './handlers/17-sasl-handshake.ts';
import { saslAuthenticateHandler } from './handlers/36-sasl-authenticate.ts';
import { DEFAULT_LISTENER_NAME, KafkaServer } from './network/index.ts';
import type { BoundListener, KafkaServerOptions, KafkaServerStats } from './network/index.ts';
import { advertisedEndpoints } from './advertised-listeners.ts';
import { PartitionManager } from './partitions.ts';
import { GroupCoordinator } from './groups/index.ts';
import { groupHandlers } from './groups/handlers.ts';
import { produceHandler } from './handlers/00-produce.ts';
import { fetchHandler } from './handlers/01-fetch.ts';
import { listOffsetsHandler } from './handlers/02-list-offsets.ts';
import { metadataHandler } from './handlers/03-metadata.ts';
import { apiVersionsHandler } from './handlers/18-api-versions.ts';
import { createTopicsHandler } from './handlers/19-create-topics.ts';
import { deleteTopicsHandler } from './handlers/20-delete-topics.ts';
import { deleteRecordsHandler } from './handlers/21-delete-records.ts';
import { initProducerIdHandler } from './handlers/22-init-producer-id.ts';
import { offsetForLeaderEpochHandler } from './handlers/23-offset-for-leader-epoch.ts';
import { describeConfigsHandler } from './handlers/32-describe-configs.ts';
import { alterConfigsHandler } from './handlers/33-alter-configs.ts';
import { createPartitionsHandler } from './handlers/37-create-partitions.ts';
import { electLeadersHandler } from './handlers/43-elect-leaders.ts';
import { incrementalAlterConfigsHandler } from './handlers/44-incremental-alter-configs.ts';
import { describeClusterHandler } from './handlers/60-describe-cluster.ts';
import { describeAclsHandler } from './handlers/29-describe-acls.ts';
import { createAclsHandler } from './handlers/30-create-acls.ts';
import { deleteAclsHandler } from './handlers/31-delete-acls.ts';
import { describeUserScramCredentialsHandler } from './handlers/50-describe-user-scram-credentials.ts';
import { alterUserScramCredentialsHandler } from './handlers/51-alter-user-scram-credentials.ts';
import { describeTopicPartitionsHandler } from './handlers/75-describe-topic-partitions.ts';
import { describeClientQuotasHandler } from './handlers/48-describe-client-quotas.ts';
import { alterClientQuotasHandler } from './handlers/49-alter-client-quotas.ts';
import { ClientQuotas } from './quotas/client-quotas.ts';
import type { QuotaSensorSettings } from './quotas/quota-sensors.ts';
import { LeaseKeeper } from './cluster/lease-keeper.ts';
import type { LeaseEvent, LeaseSettings } from './cluster/lease-keeper.ts';
import { HandOverManager } from './cluster/hand-over.ts';
import type { HandOverEvent, HandOverSettings } from './cluster/hand-over.ts';
import { ReplicaReads } from './cluster/replica-reads.ts';
import type { ReplicaReadSettings } from './cluster/replica-reads.ts';

export type ClusterEvent = LeaseEvent | HandOverEvent;

export interface BrokerClusterOptions {
  /**
   * The lease with the controller: heartbeats, self-fencing when it is not renewed in time,
   * registering again when fenced. On by default with the controller's default timings
   * (6 s lease, 1 s interval; leaseMs must not exceed the controller's brokerLeaseMs): a
   * started controller fences a broker that does not heartbeat, even in one process
   * (`stratus dev`). `false`: register once and never heartbeat (a controller whose check
   * loop does not run, as in tests).
   */
  readonly lease?: LeaseSettings | false;
  readonly handOver?: HandOverSettings;
  readonly replicaReads?: ReplicaReadSettings;
  /** Lease and hand-over events, for logs and metrics (hand-over durations: hand-over-released). */
  readonly onEvent?: (event: ClusterEvent) => void;
}

export interface BrokerOptions {
  readonly config: BrokerConfig;
  readonly controller: ControllerApi;
  readonly storage: StorageEngine;
  readonly clock: Clock;
  /**
   * Where to listen (host/port, or listeners: each needs an advertised endpoint in
   * config.endpoints of its name) and the network limits.
   */
  readonly network: Omit<KafkaServerOptions, 'clock'>;
  /** Told about refused or failed requests (logs, metrics). */
  readonly onProblem?: (problem: string, header: ParsedRequestHeader | undefined, error?: unknown, conn?: ProblemConnection) => void;
  /** Decides authorized operations (and, later, every request); absent: Kafka without an authorizer. */
  readonly authorizer?: Authorizer;
  /**
   * SASL authentication (SaslHandshake, SaslAuthenticate, and the gating of requests on
   * SASL listeners); absent: neither API is served, as before SASL existed.
   */
  readonly sasl?: SaslAuthenticator;
  /** Group coordinator events: rebalances, removed members, refusals at a limit (for logs). */
  readonly onGroupEvent?: (groupId: string, message: string) => void;
  /** A client sent bytes after a request body (ignored, as Kafka does); once per connection. */
  readonly onTrailingBytes?: DispatcherEvents['onTrailingBytes'];
  /** Every request served, with its answer and duration (metrics; see DispatcherEvents). */
  readonly onRequest?: DispatcherEvents['onRequest'];
  /** Lease, hand-over and follower-fetch settings (issue 10 §3). */
  readonly cluster?: BrokerClusterOptions;
  /** Client quota windows and sensor bounds (default Kafka's: 11 × 1 s windows; quotas themselves come from the controller). */
  readonly quotas?: QuotaSensorSettings;
}

export class Broker {
  readonly dispatcher: Dispatcher;
  readonly partitions: PartitionManager;
  readonly coordinator: GroupCoordinator;
  readonly handOvers: HandOverManager;
  readonly replicaReads: ReplicaReads;
  /** Client quotas enforced on every request (inert while the controller stores none). */
  readonly quotas: ClientQuotas;
  /** Present unless cluster.lease is false. */
  lease: LeaseKeeper | undefined;
  private registeredEpoch: number | undefined;
  private readonly server: KafkaServer;
  private readonly o: BrokerOptions;
  private readonly unwatch: () => void;
  private bound: readonly BoundListener[] = [];
  private closing: Promise<void> | undefined;

  private constructor(o: BrokerOptions) {
    this.o = o;
    // A connection's listener names the addresses its client is told: one the broker
    // does not advertise would be answered with no brokers at all.
    const advertised = new Set(advertisedEndpoints(o.config).map((e) => e.listener));
    // A SASL listener without an authenticator would serve everyone unauthenticated.
    for (const l of (o.network.listeners ?? []) as readonly { name: string; securityProtocol?: string }[]) {
      if ((l.securityProtocol === 'SASL_PLAINTEXT' || l.securityProtocol === 'SASL_SSL') && o.sasl === undefined) throw new RangeError(`listener ${l.name} is ${l.securityProtocol}, but SASL is not configured`);
    }
    for (const name of o.network.listeners?.map((l) => l.name) ?? [DEFAULT_LISTENER_NAME]) {
      if (!advertised.has(name)) throw new RangeError(`listener ${name} has no advertised address (advertised: ${[...advertised].join(', ')})`);
    }
    let catalog = new TopicCatalog(o.controller.metadata());
    const currentCatalog = (): TopicCatalog => {
      const md = o.controller.metadata();
      if (md.version !== catalog.metadata.version) catalog = new TopicCatalog(md);
      return catalog;
    };
    this.partitions = new PartitionManager(o.storage, o.controller, o.config.nodeId, currentCatalog, o.config.maxProducersPerPartition);
    const onEvent = o.cluster?.onEvent;
    this.handOvers = new HandOverManager({
      nodeId: o.config.nodeId,
      clock: o.clock,
      controller: o.controller,
      partitions: this.partitions,
      brokerEpoch: () => this.brokerEpoch,
      ...o.cluster?.handOver,
      ...(onEvent ? { onEvent } : {}),
    });
    this.replicaReads = new ReplicaReads(o.storage, o.config.nodeId, o.cluster?.replicaReads);
    this.unwatch = o.controller.watch((md) => {
      // The partition manager first: it closes logs whose leadership moved, which ends their hand-overs.
      this.partitions.onMetadata(md);
      this.handOvers.onMetadata(md);
      this.replicaReads.onMetadata(md);
    });
    this.quotas = new ClientQuotas(() => o.controller.metadata().quotas, () => o.clock.monotonicMs(), o.quotas);
    const ctx: BrokerContext = {
      quotas: this.quotas,
      config: o.config,
      controller: o.controller,
      clock: o.clock,
      catalog: currentCatalog,
      partitions: this.partitions,
      replicas: this.replicaReads,
      ...(o.authorizer ? { authorizer: o.authorizer } : {}),
    };
    this.coordinator = new GroupCoordinator({
      clock: o.clock,
      config: o.config,
      controller: o.controller,
      ...(o.config.groupMaxGroups !== undefined ? { maxGroups: o.config.groupMaxGroups } : {}),
      ...(o.config.groupMaxSize !== undefined ? { maxGroupSize: o.config.groupMaxSize } : {}),
      ...(o.onGroupEvent ? { onInfo: o.onGroupEvent } : {}),
      ...(o.onProblem ? { onError: (e: unknown) => o.onProblem?.('group coordinator: a timer or a membership report failed', undefined, e) } : {}),
    });
    const handlers: AnyApiHandler[] = [
      produceHandler(ctx),
      fetchHandler(ctx),
      listOffsetsHandler(ctx),
      metadataHandler(ctx),
      apiVersionsHandler(() => this.dispatcher.registry.advertised()),
      createTopicsHandler(ctx),
      deleteTopicsHandler(ctx),
      deleteRecordsHandler(ctx),
      initProducerIdHandler(ctx),
      offsetForLeaderEpochHandler(ctx),
      describeConfigsHandler(ctx),
      alterConfigsHandler(ctx),
      createPartitionsHandler(ctx),
      electLeadersHandler(ctx),
      incrementalAlterConfigsHandler(ctx),
      describeClusterHandler(ctx),
      describeTopicPartitionsHandler(ctx),
      describeAclsHandler(ctx),
      createAclsHandler(ctx),
      deleteAclsHandler(ctx),
      describeUserScramCredentialsHandler(ctx),
      alterUserScramCredentialsHandler(ctx),
      describeClientQuotasHandler(ctx),
      alterClientQuotasHandler(ctx),
      ...groupHandlers(ctx, this.coordinator),
      ...(o.sasl ? [saslHandshakeHandler(o.sasl), saslAuthenticateHandler(o.sasl)] : []),
    ];
    const sasl = o.sasl;
    this.dispatcher = new Dispatcher(
      handlers,
      {
        ...(o.onProblem ? { onProblem: o.onProblem } : {}),
        ...(o.onTrailingBytes ? { onTrailingBytes: o.onTrailingBytes } : {}),
        ...(o.onRequest ? { onRequest: o.onRequest } : {}),
      },
      sasl ? (apiKey, conn) => sasl.gate(apiKey, conn) : undefined,
      this.quotas,
    );
    this.server = new KafkaServer((frame, conn, responseBudget) => this.dispatcher.dispatch(frame, conn, responseBudget), {
      ...o.network,
      clock: o.clock,
      ...(sasl ? { requestMaxBytesFor: saslReceiveLimit(sasl, sasl.maxReceiveBytes) } : {}),
    });
  }

  /**
   * Registers with the controller (with a lease: once the first registration succeeded,
   * retrying until then) and starts listening. Settings are checked before anything starts.
   */
  static async start(o: BrokerOptions): Promise<Broker> {
    // A listener advertised at port 0 (bound to any free port: tests, a second dev node)
    // is advertised at the port it gets, so it listens before registering; otherwise the
    // broker registers first, as before. Its config is a copy completed before any
    // request can be read (no await between binding and completing it).
    const config: Mutable<BrokerConfig> = { ...o.config };
    let bound: readonly BoundListener[] | undefined;
    const unbound = (): Broker => new Broker({ ...o, config });
    let early: Broker | undefined;
    if (advertisedEndpoints(o.config).some((e) => e.port === 0)) {
      early = unbound();
      bound = await early.server.listen();
      Object.assign(config, withBoundPorts(o.config, bound));
    }
    const endpoints = advertisedEndpoints(config);
    const info = { nodeId: config.nodeId, host: endpoints[0]!.host, port: endpoints[0]!.port, rack: config.rack, endpoints };
    const leaseSettings = o.cluster?.lease ?? {};
    if (leaseSettings === false) {
      const registration = await o.controller.registerBroker(info);
      const broker = early ?? unbound();
      broker.registeredEpoch = registration.brokerEpoch;
      broker.bound = bound ?? (await broker.server.listen());
      return broker;
    }
    const broker = early ?? unbound();
    const onEvent = o.cluster?.onEvent;
    const lease = new LeaseKeeper({
      ...leaseSettings,
      controller: o.controller,
      broker: info,
      clock: o.clock,
      onFencedChange: (fenced) => broker.partitions.setFenced(fenced),
      ...(onEvent ? { onEvent } : {}),
    });
    broker.lease = lease;
    broker.partitions.setFenced(true); // until the first registration
    if (bound !== undefined) broker.bound = bound;
    await lease.start();
    broker.bound = bound ?? (await broker.server.listen());
    return broker;
  }

  /** This incarnation's broker epoch (the latest registration), undefined before it registered. */
  get brokerEpoch(): number | undefined {
    return this.lease !== undefined ? this.lease.brokerEpoch : this.registeredEpoch;
  }

  /** The first listener's bound port (-1 before listening). */
  get port(): number {
    return this.bound[0]?.address.port ?? -1;
  }

  /** Every listener's bound address, in configuration order (empty before listening). */
  get listeners(): readonly BoundListener[] {
    return this.bound;
  }

  stats(): KafkaServerStats {
    return this.server.stats();
  }

  /**
   * Graceful: stop accepting, finish in-flight requests (up to `drainTimeoutMs`), stop the
   * coordinator, then flush the storage engine (upload and commit the WAL's contents).
   */
  close(options: { drainTimeoutMs: number; flushTimeoutMs?: number }): Promise<void> {
    this.closing ??= (async () => {
      await this.server.close({ drainTimeoutMs: options.drainTimeoutMs });
      this.handOvers.close();
      this.unwatch();
      this.coordinator.close();
      await this.o.storage.close(options.flushTimeoutMs === undefined ? { flush: true } : { flush: true, flushTimeoutMs: options.flushTimeoutMs });
      // The flush committed the data below any pending DeleteRecords target: let those
      // moves reach the controller before it is closed.
      await this.partitions.idle();
      // Last: the lease stays valid while the WAL is flushed.
      await this.lease?.close();
    })();
    return this.closing;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The advertised addresses with each port 0 replaced by the port its listener was bound to. */
function withBoundPorts(config: BrokerConfig, bound: readonly BoundListener[]): Pick<BrokerConfig, 'advertisedPort' | 'endpoints'> {
  const portOf = (listener: string, port: number): number => (port !== 0 ? port : (bound.find((b) => b.name === listener)?.address.port ?? port));
  const endpoints = advertisedEndpoints(config).map((e) => ({ ...e, port: portOf(e.listener, e.port) }));
  return { advertisedPort: endpoints[0]!.port, endpoints };
}
