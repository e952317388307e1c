// A local Stratus cluster of real processes on loopback (issue 10 §4): Redis (AOF,
// appendfsync always) for the metadata and the election lease, an object store (MinIO,
// fake-gcs-server or a directory), `controllers` controller processes (one active, the
// others standbys) and `brokers` broker processes in racks a, b, c, ... — what
// `npm run cluster` runs and what the tests in test/cluster/ start. Every process logs
// into <dataDir>/logs/<name>.log.
//
// Ports: fixed (`npm run cluster`: brokers at 19092, 19093, ...) or free ones picked at
// start (tests, so that they run beside a cluster someone started by hand).
// stop() ends everything in an order that loses nothing: brokers one at a time (each
// drains its partitions to the ones still running and uploads its WAL), then the
// standby controllers, then the active one, then Redis and the object store.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RedisServer } from '../../support/redis-server.ts';
import { freePort } from '../../support/stratus-process.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import { makeClusterTls } from './cluster-tls.ts';
import type { ClusterTls } from './cluster-tls.ts';
import { startObjectStore } from './object-store-peer.ts';
import type { ObjectStoreKind, ObjectStorePeer } from './object-store-peer.ts';
import { StratusNode } from './stratus-node.ts';

export interface ClusterOptions {
  readonly brokers?: number;
  readonly controllers?: number;
  /** Where data and logs go; a fresh temp directory when absent (removed by stop() unless keep). */
  readonly dataDir?: string;
  /** Leave the data directory after stop(). */
  readonly keep?: boolean;
  readonly objectStore?: ObjectStoreKind;
  /** 'fixed': brokers at 19092 + i, controllers' gRPC at 19190 + i, HTTP at 19290 + i / 19390 + i, Redis at 19379, the object store at 19900. */
  readonly ports?: 'fixed' | 'free';
  /** Extra STRATUS_* settings for every controller / broker. */
  readonly controllerEnv?: Readonly<Record<string, string>>;
  readonly brokerEnv?: Readonly<Record<string, string>>;
  /** Default info. */
  readonly logLevel?: string;
  readonly readyTimeoutMs?: number;
  /**
   * Something in front of the object store (a fault-injecting TcpProxy, a proxy adding
   * S3-like latency): given the server's port, it returns the port the processes use
   * instead. Closed by stop(). Not for `file`.
   */
  readonly objectStoreFront?: (targetPort: number) => Promise<ObjectStoreFront>;
  /**
   * Each controller reaches Redis through a TcpProxy of its own (cluster.redisProxies[i]),
   * so a test can cut one controller off from Redis while the others keep it (a network
   * partition). Brokers do not talk to Redis. Closed by stop().
   */
  readonly redisProxyPerController?: boolean;
  /**
   * A second Kafka listener on every broker (kafka.listeners): the first, PLAINTEXT, stays
   * at 127.0.0.1:kafkaPort; this one is bound at 127.0.0.1 on a port of its own and
   * advertised at `advertisedHost` (e.g. localhost), so a test can tell which listener's
   * addresses a client was given. Ports: free ones, or 19492 + i with fixed ports.
   */
  readonly secondListener?: { readonly name: string; readonly advertisedHost: string };
  /**
   * A CA and certificates made with openssl into <dataDir>/tls (cluster-tls.ts): the
   * controllers serve gRPC with mTLS for the certificates named broker and stratus-admin
   * only, and the brokers present theirs. Default off: plaintext gRPC, as before.
   */
  readonly tls?: boolean;
  /**
   * Gives up a start under way (`npm run cluster` on Ctrl-C while it starts): startCluster
   * stops every process it has started, then rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

/** One Kafka listener of a broker: its name, bound port and advertised host:port. */
export interface BrokerListener {
  readonly name: string;
  readonly port: number;
  readonly advertised: string;
}

export interface ObjectStoreFront {
  readonly port: number;
  close(): Promise<void>;
}

export const FIXED_PORTS = { broker: 19092, controllerGrpc: 19190, controllerHttp: 19290, brokerHttp: 19390, redis: 19379, objectStore: 19900, brokerSecondListener: 19492 } as const;

export interface BrokerNode extends StratusNode {
  readonly nodeId: number;
  /** The first listener's (PLAINTEXT, 127.0.0.1). */
  readonly kafkaPort: number;
  readonly rack: string;
  /** Every listener, PLAINTEXT first (two with options.secondListener). */
  readonly listeners: readonly BrokerListener[];
}

export class Cluster {
  readonly dataDir: string;
  readonly redis: RedisServer;
  readonly objectStore: ObjectStorePeer;
  readonly controllers: readonly StratusNode[];
  readonly brokers: readonly BrokerNode[];
  /** What stands in front of the object store (options.objectStoreFront), if anything. */
  readonly objectStoreFront: ObjectStoreFront | undefined;
  /** With options.redisProxyPerController: controller i's way to Redis; empty otherwise. */
  readonly redisProxies: readonly TcpProxy[];
  /** With options.tls: the CA, the certificates and the settings that use them. */
  readonly tls: ClusterTls | undefined;
  private readonly keep: boolean;
  private stopped: Promise<void> | undefined;

  constructor(o: { dataDir: string; keep: boolean; redis: RedisServer; objectStore: ObjectStorePeer; objectStoreFront?: ObjectStoreFront; redisProxies?: TcpProxy[]; tls?: ClusterTls | undefined; controllers: StratusNode[]; brokers: BrokerNode[] }) {
    this.dataDir = o.dataDir;
    this.tls = o.tls;
    this.redisProxies = o.redisProxies ?? [];
    this.objectStoreFront = o.objectStoreFront;
    this.keep = o.keep;
    this.redis = o.redis;
    this.objectStore = o.objectStore;
    this.controllers = o.controllers;
    this.brokers = o.brokers;
  }

  /** host:port,host:port,... of every broker. */
  get bootstrap(): string {
    return this.brokers.map((b) => `127.0.0.1:${b.kafkaPort}`).join(',');
  }

  get bootstrapList(): string[] {
    return this.brokers.map((b) => `127.0.0.1:${b.kafkaPort}`);
  }

  /** Every broker's advertised address on `listener` (options.secondListener's name, or PLAINTEXT). */
  bootstrapOn(listener: string): string[] {
    return this.brokers.map((b) => {
      const l = b.listeners.find((x) => x.name === listener);
      if (l === undefined) throw new Error(`broker ${b.nodeId} has no listener ${listener}`);
      return l.advertised;
    });
  }

  get logDir(): string {
    return join(this.dataDir, 'logs');
  }

  /** The controller whose /metrics says it is active (undefined when none is, e.g. during a failover). */
  async activeController(): Promise<StratusNode | undefined> {
    for (const c of this.controllers) {
      if (c.alive && (await c.metric('stratus_controller_role', 'role="active"')) === 1) return c;
    }
    return undefined;
  }

  /** Waits until every running process is ready and exactly one controller is active. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    await Promise.all([...this.controllers, ...this.brokers].filter((n) => n.alive).map((n) => n.waitReady(timeoutMs)));
    const deadline = Date.now() + timeoutMs;
    while ((await this.activeController()) === undefined) {
      if (Date.now() > deadline) throw new Error(`no controller became active within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops everything (see the header); idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      for (const b of this.brokers) await b.stop();
      const active = await this.activeController();
      for (const c of this.controllers) if (c !== active) await c.stop();
      await active?.stop();
      await this.redis.cleanup();
      for (const p of this.redisProxies) await p.close();
      await this.objectStoreFront?.close();
      await this.objectStore.stop();
      if (!this.keep) rmSync(this.dataDir, { recursive: true, force: true });
    })();
    return this.stopped;
  }
}

/**
 * `wait` (a readiness wait, which starts nothing), or a rejection as soon as `signal`
 * aborts: giving up such a wait leaves no process behind that startCluster's cleanup misses.
 */
function unlessAborted<T>(wait: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return wait;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    wait.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const brokerCount = options.brokers ?? 3;
  const controllerCount = options.controllers ?? 2;
  if (brokerCount < 1 || controllerCount < 1) throw new RangeError('a cluster needs at least one broker and one controller');
  const fixed = options.ports === 'fixed';
  const dataDir = options.dataDir !== undefined ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), 'stratus-cluster-'));
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logLevel = options.logLevel ?? 'info';
  const redisDir = join(dataDir, 'redis');
  mkdirSync(redisDir, { recursive: true });
  const started: { stop(): Promise<unknown> }[] = [];
  const signal = options.signal;
  try {
    // Both settled before going on: when one fails, the other, started, is stopped below.
    const [redisStart, storeStart] = await Promise.allSettled([RedisServer.start({ dataDir: redisDir, ...(fixed ? { port: FIXED_PORTS.redis } : {}) }), startObjectStore(options.objectStore ?? 'minio', dataDir, logDir, fixed ? FIXED_PORTS.objectStore : undefined)]);
    if (redisStart.status === 'fulfilled') started.push({ stop: () => redisStart.value.cleanup() });
    if (storeStart.status === 'fulfilled') started.push(storeStart.value);
    if (redisStart.status === 'rejected') throw redisStart.reason;
    if (storeStart.status === 'rejected') throw storeStart.reason;
    const redis = redisStart.value;
    const objectStore = storeStart.value;
    signal?.throwIfAborted();
    let front: ObjectStoreFront | undefined;
    let storeUrl = objectStore.url;
    if (options.objectStoreFront !== undefined) {
      if (objectStore.endpoint === undefined) throw new Error('objectStoreFront needs a server (minio or gcs), not a directory');
      const target = new URL(objectStore.endpoint);
      const f = await options.objectStoreFront(Number(target.port));
      front = f;
      started.push({ stop: () => f.close() });
      signal?.throwIfAborted();
      storeUrl = storeUrl.replace(objectStore.endpoint, `${target.protocol}//127.0.0.1:${f.port}`);
    }
    const common = { ...objectStore.env, STRATUS_OBJECT_STORE_URL: storeUrl, STRATUS_LOG_LEVEL: logLevel, STRATUS_LOG_PRETTY: 'false' };
    const tls = options.tls === true ? makeClusterTls(dataDir) : undefined;

    const grpcPorts: number[] = [];
    const controllers: StratusNode[] = [];
    const redisProxies: TcpProxy[] = [];
    for (let i = 0; i < controllerCount; i++) {
      let metadataUrl = redis.url;
      if (options.redisProxyPerController === true) {
        const proxy = await TcpProxy.start('127.0.0.1', redis.port);
        redisProxies.push(proxy);
        started.push({ stop: () => proxy.close() });
        metadataUrl = `redis://127.0.0.1:${proxy.port}`;
      }
      const grpcPort = fixed ? FIXED_PORTS.controllerGrpc + i : await freePort();
      const httpPort = fixed ? FIXED_PORTS.controllerHttp + i : await freePort();
      grpcPorts.push(grpcPort);
      const name = `controller-${i + 1}`;
      controllers.push(
        StratusNode.start({
          name,
          command: 'controller',
          httpPort,
          logFile: join(logDir, `${name}.log`),
          env: { ...common, STRATUS_NAME: name, STRATUS_METADATA_URL: metadataUrl, STRATUS_GRPC_PORT: String(grpcPort), STRATUS_HTTP_PORT: String(httpPort), ...tls?.controllerEnv, ...options.controllerEnv },
        }),
      );
    }
    started.push(...controllers);
    const endpoints = grpcPorts.map((p) => `127.0.0.1:${p}`).join(',');
    // Controllers first: brokers wait for one (controller.connectTimeout), but start sooner once one serves.
    await unlessAborted(Promise.all(controllers.map((c) => c.waitReady(options.readyTimeoutMs))), signal);

    const brokers: BrokerNode[] = [];
    for (let i = 0; i < brokerCount; i++) {
      const kafkaPort = fixed ? FIXED_PORTS.broker + i : await freePort();
      const httpPort = fixed ? FIXED_PORTS.brokerHttp + i : await freePort();
      const nodeId = i + 1;
      const rack = String.fromCharCode('a'.charCodeAt(0) + (i % 26));
      const name = `broker-${nodeId}`;
      const listeners: BrokerListener[] = [{ name: 'PLAINTEXT', port: kafkaPort, advertised: `127.0.0.1:${kafkaPort}` }];
      let kafkaEnv: Record<string, string> = { STRATUS_KAFKA_PORT: String(kafkaPort) };
      if (options.secondListener !== undefined) {
        const { name: second, advertisedHost } = options.secondListener;
        const port = fixed ? FIXED_PORTS.brokerSecondListener + i : await freePort();
        listeners.push({ name: second, port, advertised: `${advertisedHost}:${port}` });
        kafkaEnv = {
          STRATUS_KAFKA_LISTENERS: listeners.map((l) => `${l.name}://127.0.0.1:${l.port}`).join(','),
          STRATUS_KAFKA_ADVERTISED_LISTENERS: listeners.map((l) => `${l.name}://${l.advertised}`).join(','),
        };
      }
      const node = StratusNode.start({
        name,
        command: 'broker',
        httpPort,
        logFile: join(logDir, `${name}.log`),
        env: {
          ...common,
          STRATUS_NODE_ID: String(nodeId),
          STRATUS_DATA_DIR: join(dataDir, name),
          ...kafkaEnv,
          STRATUS_KAFKA_RACK: rack,
          STRATUS_HTTP_PORT: String(httpPort),
          STRATUS_CONTROLLER_ENDPOINTS: endpoints,
          ...tls?.brokerEnv,
          ...options.brokerEnv,
        },
      });
      brokers.push(Object.assign(node, { nodeId, kafkaPort, rack, listeners }));
    }
    started.push(...brokers);
    const cluster = new Cluster({ dataDir, keep: options.keep === true, redis, objectStore, ...(front !== undefined ? { objectStoreFront: front } : {}), redisProxies, tls, controllers, brokers });
    await unlessAborted(cluster.waitReady(options.readyTimeoutMs), signal);
    return cluster;
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    if (options.keep !== true && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
