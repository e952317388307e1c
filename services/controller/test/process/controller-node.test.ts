// Controller high availability on real parts: two ControllerNodes (each its own gRPC
// server on loopback, its own RedisControllerLease and Redis metadata store) over one real
// redis-server, and a GrpcControllerClient given both addresses. The standby redirects
// every call (also calls that are never retried) to the active one, whose address the
// lease names; a graceful stop hands the lease over at once and the client follows; the
// active node whose store gets fenced steps down; an unreachable first endpoint is
// skipped. Lease times are short and real (Redis expires the lease).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import type { Metadata, ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { MemoryObjectStore } from '@stratus/objectstore';
import { systemClock } from '@stratus/runtime';
import { RedisServer, freePort } from '@stratus/controller/testing';
import { Controller } from '../../src/controller.ts';
import { GrpcControllerClient } from '../../src/grpc/client.ts';
import { ControllerServiceClient } from '../../src/grpc/generated/stratus/controller/v1/controller.ts';
import { RedisControllerLease } from '../../src/lease/redis-lease.ts';
import { ControllerNode } from '../../src/process/controller-node.ts';
import type { ControllerNodeEvent } from '../../src/process/controller-node.ts';
import { advertisedAddressOf, holderId } from '../../src/process/holder-id.ts';
import { openMetadataStore } from '../../src/store/open-store.ts';

let redis: RedisServer;
let prefixes = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await redis?.cleanup();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 8000): Promise<number> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
  return Date.now() - started;
}

interface Started {
  readonly node: ControllerNode;
  readonly events: ControllerNodeEvent[];
  readonly fatal: string[];
}

async function startNode(name: string, url: string, objects: MemoryObjectStore): Promise<Started> {
  const lease = await RedisControllerLease.open({ url });
  const events: ControllerNodeEvent[] = [];
  const fatal: string[] = [];
  const node = await ControllerNode.start({
    clock: systemClock,
    grpc: { host: '127.0.0.1', port: 0, shutdownGraceMs: 500 },
    election: { lease, incarnation: `${name}-${process.pid}`, leaseMs: 1500, renewIntervalMs: 300, acquireRetryMs: 200 },
    open: async (epoch, onStoreFailed) =>
      Controller.open({ store: await openMetadataStore(url, { ...(epoch !== undefined ? { epoch } : {}) }), objectStore: objects, clock: systemClock, onFatal: onStoreFailed, onBackgroundError: () => undefined }),
    onEvent: (e) => events.push(e),
    onFatal: (reason) => fatal.push(reason),
  });
  cleanups.push(async () => {
    await node.stop();
    await lease.close();
  });
  return { node, events, fatal };
}

/** The standard health check of a server: the status of the process ("") and of the controller service. */
async function health(address: string): Promise<{ process: string; controller: string }> {
  const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
  const client = new HealthClient(address, credentials.createInsecure()) as InstanceType<typeof HealthClient> & {
    check(req: { service: string }, cb: (err: ServiceError | null, res: { status: string }) => void): void;
  };
  const check = (service: string) => new Promise<string>((resolve, reject) => client.check({ service }, (err, res) => (err ? reject(err) : resolve(res.status))));
  try {
    return { process: await check(''), controller: await check('stratus.controller.v1.ControllerService') };
  } finally {
    client.close();
  }
}

/** One raw DescribeCluster call: its status and trailers, as a client without redirect handling sees them. */
function rawCall(address: string): Promise<{ code: number; trailers: Metadata | undefined }> {
  const raw = new ControllerServiceClient(address, credentials.createInsecure());
  return new Promise((resolve) => {
    raw.describeCluster({}, (err: ServiceError | null) => {
      raw.close();
      resolve({ code: err?.code ?? status.OK, trailers: err?.metadata });
    });
  });
}

describe('holder ids', () => {
  it('carry the advertised address and refuse what the lease cannot hold', () => {
    expect(advertisedAddressOf(holderId('ctl-1-42', '127.0.0.1:19500'))).toBe('127.0.0.1:19500');
    expect(advertisedAddressOf('plain-holder')).toBeNull();
    expect(() => holderId('has space', '127.0.0.1:1')).toThrow(/without whitespace/);
    expect(() => holderId('a', 'no-port')).toThrow(/host:port/);
  });
});

describe('ControllerNode', () => {
  it('one is active, the standby redirects every call to it, and a graceful stop hands over at once', async () => {
    const url = `${redis.url}?prefix=node${prefixes++}:`;
    const objects = new MemoryObjectStore('node-test');
    const a = await startNode('a', url, objects);
    await until('a active', () => a.node.status().role === 'active');
    const b = await startNode('b', url, objects);
    await until('b sees a as active', () => b.node.status().activeAddress === a.node.advertisedAddress);
    expect(b.node.status().role).toBe('standby');
    // Health: the standby's process is alive, its controller service is not served; the active one serves both.
    expect(await health(b.node.advertisedAddress)).toEqual({ process: 'SERVING', controller: 'NOT_SERVING' });
    expect(await health(a.node.advertisedAddress)).toEqual({ process: 'SERVING', controller: 'SERVING' });
    // On the wire: UNAVAILABLE, with the redirect's kind and the active controller's address in the trailers.
    const refused = await rawCall(b.node.advertisedAddress);
    expect(refused.code).toBe(status.UNAVAILABLE);
    expect(refused.trailers?.get('stratus-error')).toEqual(['not-active-controller']);
    expect(refused.trailers?.get('stratus-active-controller')).toEqual([a.node.advertisedAddress]);
    expect((await rawCall(a.node.advertisedAddress)).code).toBe(status.OK);

    // The standby first: registration (retried) and CreateTopics (never retried) both follow the redirect.
    const client = await GrpcControllerClient.connect({ target: [b.node.advertisedAddress, a.node.advertisedAddress], connectTimeoutMs: 5000 });
    cleanups.push(() => client.close());
    expect(client.endpointStats().current).toBe(a.node.advertisedAddress);
    const [created] = await client.createTopics([{ name: 'ha', numPartitions: 2, replicationFactor: 1, configs: {} }], { validateOnly: false });
    expect(created?.errorCode).toBe(0);
    expect(client.endpointStats().redirects).toBeGreaterThanOrEqual(1);

    const stoppedAt = Date.now();
    const stopping = a.node.stop();
    const takeoverMs = await until('b active', () => b.node.status().role === 'active');
    await stopping;
    console.log(`graceful hand-over: b active ${takeoverMs} ms after a's stop began (lease 1500 ms, retry 200 ms)`);
    expect(takeoverMs).toBeLessThan(1200); // released, not expired
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    const epochs = [a.events, b.events].flat().filter((e) => e.type === 'active').map((e) => (e as { epoch: number }).epoch);
    expect(epochs[1]).toBeGreaterThan(epochs[0]!);

    // The client follows: the topic is there (state from Redis), and a new call succeeds on b.
    const [again] = await client.createTopics([{ name: 'ha-2', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false });
    expect(again?.errorCode).toBe(0);
    expect(client.endpointStats().current).toBe(b.node.advertisedAddress);
    await until('watch on b', () => client.metadata().topics.some((t) => t.name === 'ha-2'));
    expect(client.metadata().topics.map((t) => t.name).sort()).toEqual(['ha', 'ha-2']);
    expect(a.fatal).toEqual([]);
    expect(b.fatal).toEqual([]);
    expect(await health(b.node.advertisedAddress)).toEqual({ process: 'SERVING', controller: 'SERVING' });
  });

  it('steps down when its store is fenced by a newer epoch, and competes again', async () => {
    const url = `${redis.url}?prefix=node${prefixes++}:`;
    const a = await startNode('a', url, new MemoryObjectStore('fence-test'));
    await until('a active', () => a.node.status().role === 'active');
    const epoch = a.node.status().epoch!;
    // Another controller's INCR (what a new lease holder does) fences a's store; its next write fails.
    await redis.cli('INCR', `node${prefixes - 1}:controller:epoch`);
    const client = await GrpcControllerClient.connect({ target: a.node.advertisedAddress, connectTimeoutMs: 5000 });
    cleanups.push(() => client.close());
    await client.createTopics([{ name: 'fenced', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false }).catch(() => undefined);
    await until('a stepped down and back', () => a.events.some((e) => e.type === 'store-failed') && a.node.status().role === 'active' && a.node.status().epoch! > epoch + 1);
    expect(a.fatal).toEqual([]);
    expect(a.node.status().stepDowns).toBe(1);
  });

  it('steps down while Redis is gone (no fatal exit) and becomes active again once it is back', async () => {
    const own = await RedisServer.start();
    cleanups.push(() => own.cleanup());
    const a = await startNode('a', `${own.url}?prefix=gone:&connectTimeoutMs=500&waitTimeoutMs=200&commandTimeoutMs=1000`, new MemoryObjectStore('gone-test'));
    await until('a active', () => a.node.status().role === 'active');
    const epoch = a.node.status().epoch!;
    await own.kill();
    const stepDownMs = await until('a standby', () => a.node.status().role === 'standby');
    console.log(`Redis killed: the active controller stepped down after ${stepDownMs} ms (lease 1500 ms)`);
    expect(stepDownMs).toBeLessThan(3000);
    await own.restart();
    await until('a active again', () => a.node.status().role === 'active', 15_000);
    expect(a.node.status().epoch).toBeGreaterThan(epoch);
    expect(a.fatal).toEqual([]);
  });

  it('a client skips an unreachable first endpoint', async () => {
    const url = `${redis.url}?prefix=node${prefixes++}:`;
    const a = await startNode('a', url, new MemoryObjectStore('skip-test'));
    await until('a active', () => a.node.status().role === 'active');
    const dead = `127.0.0.1:${await freePort()}`;
    const client = await GrpcControllerClient.connect({ target: [dead, a.node.advertisedAddress], connectTimeoutMs: 5000 });
    cleanups.push(() => client.close());
    const [created] = await client.createTopics([{ name: 'skip', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false });
    expect(created?.errorCode).toBe(0);
    expect(client.endpointStats()).toMatchObject({ current: a.node.advertisedAddress });
  });
});
