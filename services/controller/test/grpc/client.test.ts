// GrpcControllerClient against a real ControllerGrpcServer on loopback, for what the
// contract suite cannot show: an unreachable or restarting controller, the retry
// policy per RPC, the watch resuming after a restart, the extent cache, the watcher
// limit, the health service and the RPCs that wait for the lease work.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { MemoryObjectStore } from '@stratus/objectstore';
import { SeededRandom, systemClock } from '@stratus/runtime';
import {
  Controller,
  ControllerClosedError,
  ControllerGrpcServer,
  ControllerMetadataLagError,
  ControllerUnavailableError,
  ControllerUnimplementedError,
  GrpcControllerClient,
  openMetadataStore,
} from '../../src/index.ts';
import type { ClusterMetadata, ControllerApi } from '../../src/index.ts';
import { ControllerServiceClient, DrainReason } from '../../src/grpc/generated/stratus/controller/v1/controller.ts';
import { BROKER_1, commitOf, createTopic, extent, openHarness } from '../support/helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(api: ControllerApi, options: { port?: number; maxWatchers?: number } = {}): Promise<ControllerGrpcServer> {
  const server = await ControllerGrpcServer.start({ api, port: options.port ?? 0, ...(options.maxWatchers !== undefined ? { maxWatchers: options.maxWatchers } : {}) });
  cleanups.push(() => server.close());
  return server;
}

async function connect(target: string, extra: Partial<Parameters<typeof GrpcControllerClient.connect>[0]> = {}): Promise<GrpcControllerClient> {
  const client = await GrpcControllerClient.connect({ target, random: new SeededRandom(1), ...extra });
  cleanups.push(() => client.close());
  return client;
}

async function harness() {
  const h = await openHarness();
  cleanups.push(() => h.controller.close());
  return h;
}

/** Resolves with the first metadata a listener sees that passes `test`. */
function nextMetadata(client: GrpcControllerClient, test: (m: ClusterMetadata) => boolean, timeoutMs = 10_000): Promise<ClusterMetadata> {
  if (test(client.metadata())) return Promise.resolve(client.metadata());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching metadata within ${timeoutMs} ms; at version ${client.metadata().version}`)), timeoutMs);
    const stop = client.watch((m) => {
      if (!test(m)) return;
      clearTimeout(timer);
      stop();
      resolve(m);
    });
  });
}

/** The controller with some methods replaced, the rest delegated (the server serves any ControllerApi). */
function withOverrides(controller: Controller, overrides: Partial<Record<keyof ControllerApi, (...args: never[]) => unknown>>): ControllerApi {
  return new Proxy(controller, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop as keyof ControllerApi];
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as ControllerApi;
}

describe('an unreachable controller', () => {
  it('connect() fails with ControllerUnavailableError within its timeout when nothing listens', async () => {
    // A port that was just free: bind, note it, close.
    const h = await harness();
    const probe = await ControllerGrpcServer.start({ api: h.controller, port: 0 });
    const port = probe.port;
    await probe.close();
    const started = performance.now();
    const err = await GrpcControllerClient.connect({ target: `127.0.0.1:${port}`, connectTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControllerUnavailableError);
    expect((err as ControllerUnavailableError).code).toBe('CONTROLLER_UNAVAILABLE');
    expect((err as ControllerUnavailableError).retriable).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('calls fail with ControllerUnavailableError within the operation timeout once the server is gone; metadata() keeps the last copy', async () => {
    const h = await harness();
    const server = await ControllerGrpcServer.start({ api: h.controller, port: 0 });
    const client = await connect(server.address, { operationTimeoutMs: 1500, callTimeoutMs: 500, retryInitialBackoffMs: 20 });
    await createTopic(h.controller, 'a');
    await nextMetadata(client, (m) => m.topics.length === 1);
    await server.close();
    for (const call of [() => client.groupsWithOffsets(), () => client.allocateProducerIds(1), () => client.createTopics([{ name: 'b', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false })]) {
      const started = performance.now();
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ControllerUnavailableError);
      expect(performance.now() - started).toBeLessThan(2500);
    }
    expect(client.metadata().topics.map((t) => t.name)).toEqual(['a']);
  });
});

describe('retries', () => {
  it('retries reads and idempotent mutations on UNAVAILABLE, never createTopics or allocateProducerIds', async () => {
    const h = await harness();
    const calls = new Map<string, number>();
    const unavailable = (name: string) => () => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return Promise.reject(new ControllerClosedError());
    };
    const api = withOverrides(h.controller, {
      groupsWithOffsets: unavailable('groupsWithOffsets'),
      commit: unavailable('commit'),
      allocateProducerIds: unavailable('allocateProducerIds'),
      createTopics: unavailable('createTopics'),
    });
    const server = await serve(api);
    const client = await connect(server.address, { maxAttempts: 3, retryInitialBackoffMs: 5, retryMaxBackoffMs: 20 });
    await expect(client.groupsWithOffsets()).rejects.toBeInstanceOf(ControllerUnavailableError);
    await expect(client.commit(commitOf('o1', []))).rejects.toBeInstanceOf(ControllerUnavailableError);
    await expect(client.allocateProducerIds(10)).rejects.toBeInstanceOf(ControllerUnavailableError);
    await expect(client.createTopics([{ name: 'x', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false })).rejects.toBeInstanceOf(
      ControllerUnavailableError,
    );
    expect(Object.fromEntries(calls)).toEqual({ groupsWithOffsets: 3, commit: 3, allocateProducerIds: 1, createTopics: 1 });
  });

  it('recovers within one call when the controller answers again during the retries', async () => {
    const h = await harness();
    let failures = 2;
    const api = withOverrides(h.controller, {
      groupsWithOffsets: () => (failures-- > 0 ? Promise.reject(new ControllerClosedError()) : h.controller.groupsWithOffsets()),
    });
    const server = await serve(api);
    const client = await connect(server.address, { maxAttempts: 5, retryInitialBackoffMs: 5 });
    expect(await client.groupsWithOffsets()).toEqual([]);
    expect(failures).toBe(-1);
  });
});

describe('the watch', () => {
  it('resumes after the controller restarts on the same port, and the cache catches up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-grpc-restart-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const openController = async () => Controller.open({ store: await openMetadataStore(`file://${dir}`), objectStore: new MemoryObjectStore(), random: new SeededRandom(3) });
    const first = await openController();
    const server1 = await ControllerGrpcServer.start({ api: first, port: 0 });
    const port = server1.port;
    const client = await connect(server1.address, { watchInitialBackoffMs: 20, watchMaxBackoffMs: 200, maxReconnectBackoffMs: 200 });
    await client.createTopics([{ name: 'before', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false });
    const versionBefore = client.metadata().version;
    await server1.close();
    await first.close();

    // Changed while the client could not watch.
    const second = await openController();
    cleanups.push(() => second.close());
    await createTopic(second, 'after');
    await serve(second, { port });
    const caught = await nextMetadata(client, (m) => m.topics.some((t) => t.name === 'after'));
    expect(caught.version).toBeGreaterThan(versionBefore);
    expect(caught.topics.map((t) => t.name).sort()).toEqual(['after', 'before']);
    expect(client.watchStats().resubscribes).toBeGreaterThanOrEqual(1);
    // And the client works again end to end.
    const [r] = await client.createTopics([{ name: 'again', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false });
    expect(r!.errorCode).toBe(0);
    expect(client.metadata().topics.map((t) => t.name).sort()).toEqual(['after', 'again', 'before']);
  });

  it('refuses watchers beyond maxWatchers with RESOURCE_EXHAUSTED', async () => {
    const h = await harness();
    const server = await serve(h.controller, { maxWatchers: 1 });
    await connect(server.address);
    expect(server.watcherCount).toBe(1);
    const raw = new ControllerServiceClient(server.address, credentials.createInsecure());
    cleanups.push(async () => raw.close());
    const err = await new Promise<ServiceError>((resolve) => raw.watch({ knownVersion: -1 }).on('error', resolve));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toContain('maxWatchers 1');
  });

  it('a watcher that does not read gets the latest metadata when it resumes, not a queue of every change', async () => {
    const h = await harness();
    const server = await serve(h.controller);
    const raw = new ControllerServiceClient(server.address, credentials.createInsecure());
    cleanups.push(async () => raw.close());
    const call = raw.watch({ knownVersion: -1 });
    call.on('error', () => undefined); // CANCELLED by the cancel() below
    const versions: number[] = [];
    await new Promise<void>((resolve) => call.once('data', (e: { metadata?: ClusterMetadata }) => (versions.push(e.metadata!.version), resolve())));
    call.pause();
    // 300 changes whose snapshots grow to ~30 KiB: ~4.5 MiB if every one were queued.
    const changes = 300;
    for (let i = 0; i < changes; i++) await h.controller.createTopics([{ name: `topic-with-a-longish-name-${i}`, numPartitions: 2, replicationFactor: 1, configs: {} }], { validateOnly: false });
    const last = h.controller.metadata().version;
    const caughtUp = new Promise<void>((resolve) =>
      call.on('data', (e: { metadata?: ClusterMetadata }) => {
        versions.push(e.metadata!.version);
        if (e.metadata!.version === last) resolve();
      }),
    );
    call.resume();
    await caughtUp;
    expect(versions.at(-1)).toBe(last);
    expect(versions.length).toBeLessThan(changes / 2);
    call.cancel();
  });

  it('a client that knows the current version gets up_to_date, not a copy', async () => {
    const h = await harness();
    const server = await serve(h.controller);
    const raw = new ControllerServiceClient(server.address, credentials.createInsecure());
    cleanups.push(async () => raw.close());
    const version = h.controller.metadata().version;
    const call = raw.watch({ knownVersion: version });
    call.on('error', () => undefined); // CANCELLED by the cancel() below
    const first = await new Promise((resolve) => call.once('data', resolve));
    expect(first).toEqual({ upToDate: version });
    const next = new Promise((resolve) => call.once('data', resolve));
    await createTopic(h.controller, 'a');
    expect(await next).toMatchObject({ metadata: { version: version + 1 } });
    call.cancel();
  });

  it('a broker\'s client names its broker on the stream: when it goes away, the broker is suspected and its object partitions move', async () => {
    const h = await harness();
    const server = await serve(h.controller);
    const e1 = (await h.controller.registerBroker(BROKER_1)).brokerEpoch;
    const e2 = (await h.controller.registerBroker({ ...BROKER_1, nodeId: 2, host: 'b2.local' })).brokerEpoch;
    await createTopic(h.controller, 'obj', 4, { 'stratus.durability': 'object' });
    const leadersOf = (): number[] => h.controller.metadata().topics[0]!.partitions.map((p) => p.leader);
    expect(new Set(leadersOf())).toEqual(new Set([1, 2]));
    const broker2 = await GrpcControllerClient.connect({ target: server.address, random: new SeededRandom(1), brokerId: 2 });
    // An admin client names no broker: its going away suspects nobody.
    const admin = await connect(server.address);
    await admin.close();
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await h.clock.advance(500);
      await h.controller.heartbeat(1, e1);
      await h.controller.heartbeat(2, e2);
      await h.controller.runClusterCheck();
    }
    expect(new Set(leadersOf())).toEqual(new Set([1, 2]));
    expect(h.controller.clusterStats().brokersSuspected).toBe(0);

    // The process is gone: its connection closes (close() here, the kernel after a SIGKILL).
    await broker2.close();
    const deadline = Date.now() + 5000;
    while (leadersOf().includes(2) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      await h.clock.advance(100);
      await h.controller.runClusterCheck();
    }
    expect(leadersOf()).toEqual([1, 1, 1, 1]);
    const d = await h.controller.describeCluster();
    expect(d.brokers.map((b) => [b.nodeId, b.fenced, b.suspected])).toEqual([
      [1, false, false],
      [2, false, true],
    ]);
  });
});

describe('read-your-writes', () => {
  /** The controller with its watch notifications delivered `delayMs` late: the stream lags the unary answers. */
  function laggingWatch(controller: Controller, delayMs: number): ControllerApi {
    return withOverrides(controller, {
      watch: ((listener: (m: ClusterMetadata) => void) => controller.watch((m) => void setTimeout(() => listener(m), delayMs))) as never,
    });
  }

  it('a metadata mutation resolves only once the watched copy shows it, however late the stream is', async () => {
    const h = await harness();
    const server = await serve(laggingWatch(h.controller, 300));
    const client = await connect(server.address);
    const started = performance.now();
    const [r] = await client.createTopics([{ name: 'late', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(client.metadata().topics).toEqual([r!.topic]);
    // Reads and index mutations do not wait for the stream.
    const t = performance.now();
    await client.allocateProducerIds(1);
    expect(performance.now() - t).toBeLessThan(250);
  });

  it('gives up after metadataWaitMs with ControllerMetadataLagError (retriable; the change is made)', async () => {
    const h = await harness();
    const server = await serve(laggingWatch(h.controller, 1000));
    const client = await connect(server.address, { metadataWaitMs: 100 });
    const err = await client.createTopics([{ name: 'lagging', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControllerMetadataLagError);
    expect((err as ControllerMetadataLagError).retriable).toBe(true);
    expect(h.controller.metadata().topics.map((t) => t.name)).toEqual(['lagging']);
    await nextMetadata(client, (m) => m.topics.length === 1);
  });
});

describe('the extent cache', () => {
  it('answers repeated reads from the cache and forgets deleted topics and DeleteRecords partitions', async () => {
    const h = await harness();
    await h.controller.registerBroker(BROKER_1);
    const topicId = await createTopic(h.controller, 'a');
    const tp = { topicId, partition: 0 };
    for (let i = 0; i < 4; i++) await h.controller.commit(commitOf(`o${i}`, [extent(tp, `o${i}`, i * 10, i * 10 + 9)]));
    const server = await serve(h.controller);
    const client = await connect(server.address, { extentCache: { maxExtents: 100, ttlMs: 60_000 } });
    const first = await client.extentsFrom(tp, 0, 10);
    expect(first.map((e) => e.objectKey)).toEqual(['o0', 'o1', 'o2', 'o3']);
    expect(await client.extentsFrom(tp, 15, 2)).toEqual(first.slice(1, 3));
    expect(client.extentCacheStats()).toMatchObject({ hits: 1, misses: 1, partitions: 1, extents: 4 });
    // Past the cached run: asked again, and the new extent joins the run.
    await h.controller.commit(commitOf('o4', [extent(tp, 'o4', 40, 49)]));
    expect((await client.extentsFrom(tp, 40, 10)).map((e) => e.objectKey)).toEqual(['o4']);
    expect(client.extentCacheStats()).toMatchObject({ misses: 2, extents: 5 });
    await client.deleteRecords(tp, 20);
    expect(client.extentCacheStats().partitions).toBe(0);
    expect((await client.extentsFrom(tp, 0, 10)).map((e) => e.objectKey)).toEqual(['o2', 'o3', 'o4']);
    expect(client.extentCacheStats().partitions).toBe(1);
    await h.controller.deleteTopics([{ name: 'a' }]);
    await nextMetadata(client, (m) => m.topics.length === 0);
    expect(client.extentCacheStats().partitions).toBe(0);
  });
});

describe('the server', () => {
  it('answers the standard health check SERVING for the server and the controller service', async () => {
    const h = await harness();
    const server = await serve(h.controller);
    const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
    const health = new HealthClient(server.address, credentials.createInsecure()) as InstanceType<typeof HealthClient> & {
      check(req: { service: string }, cb: (err: ServiceError | null, res: { status: string }) => void): void;
    };
    cleanups.push(async () => health.close());
    const check = (service: string) => new Promise<string>((resolve, reject) => health.check({ service }, (err, res) => (err ? reject(err) : resolve(res.status))));
    expect(await check('')).toBe('SERVING');
    expect(await check('stratus.controller.v1.ControllerService')).toBe('SERVING');
  });

  it('serves ReleasePartition, DrainBroker, ReassignPartitions and DescribeCluster, with per-item Kafka errors', async () => {
    const h = await harness();
    const server = await serve(h.controller);
    const raw = new ControllerServiceClient(server.address, credentials.createInsecure());
    cleanups.push(async () => raw.close());
    const answer = <T>(invoke: (cb: (err: ServiceError | null, res: T) => void) => void) =>
      new Promise<T>((resolve, reject) => invoke((err, res) => (err !== null ? reject(err) : resolve(res))));
    const released = await answer<{ error?: { errorCode: number } | undefined }>((cb) => raw.releasePartition({ partition: { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition: 0 }, leaderEpoch: 0, brokerEpoch: 0 }, cb));
    expect(released.error?.errorCode).toBe(3); // UNKNOWN_TOPIC_OR_PARTITION
    const drained = await answer<{ error?: { errorCode: number } | undefined }>((cb) => raw.drainBroker({ nodeId: 77, drain: true, reason: DrainReason.DRAIN_REASON_OPERATOR }, cb));
    expect(drained.error?.errorCode).toBe(8); // BROKER_NOT_AVAILABLE
    expect((await answer<{ results: unknown[] }>((cb) => raw.reassignPartitions({ assignments: [] }, cb))).results).toEqual([]);
    expect((await answer<{ brokers: unknown[] }>((cb) => raw.describeCluster({}, cb))).brokers).toEqual([]);
    // A client from before drain reasons sends none (DRAIN_REASON_UNSPECIFIED): an operator's drain.
    await h.controller.registerBroker(BROKER_1);
    const unspecified = await answer<{ draining: boolean; drainReason: number }>((cb) => raw.drainBroker({ nodeId: 1, drain: true, reason: DrainReason.DRAIN_REASON_UNSPECIFIED }, cb));
    expect(unspecified).toMatchObject({ draining: true, drainReason: DrainReason.DRAIN_REASON_OPERATOR });
    await expect(answer((cb) => raw.drainBroker({ nodeId: 1, drain: false, reason: 7 as DrainReason }, cb))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((await h.controller.describeCluster()).brokers[0]).toMatchObject({ draining: true, drainReason: 'operator' });
    expect(new ControllerUnimplementedError('x', status.UNIMPLEMENTED).retriable).toBe(false);
  });

  it('answers INVALID_ARGUMENT for a request missing a required part, and keeps serving', async () => {
    const h = await harness();
    const server = await serve(h.controller);
    const raw = new ControllerServiceClient(server.address, credentials.createInsecure());
    cleanups.push(async () => raw.close());
    const err = await new Promise<ServiceError | null>((resolve) => raw.registerBroker({}, (e) => resolve(e)));
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/broker is missing/);
    const bad = await new Promise<ServiceError | null>((resolve) => raw.describeConfigs({ resources: [{ resource: { type: 'cluster', name: 'x' } }] }, (e) => resolve(e)));
    expect(bad?.details).toMatch(/"topic" or "broker"/);
    const ok = await new Promise<unknown>((resolve) => raw.getMetadata({}, (_e, r) => resolve(r)));
    expect(ok).toMatchObject({ metadata: { clusterId: h.controller.metadata().clusterId } });
  });

  it('close() ends watch streams and shuts down within its grace even with a watcher connected', async () => {
    const h = await harness();
    const server = await ControllerGrpcServer.start({ api: h.controller, port: 0, shutdownGraceMs: 1000 });
    const client = await connect(server.address, { watchInitialBackoffMs: 5000 });
    expect(server.watcherCount).toBe(1);
    const started = systemClock.monotonicMs();
    await server.close();
    expect(systemClock.monotonicMs() - started).toBeLessThan(1500);
    expect(server.watcherCount).toBe(0);
    await expect(client.groupsWithOffsets()).rejects.toBeInstanceOf(ControllerUnavailableError);
  });
});
