// Measures what the gRPC hop costs a broker compared with the in-process controller, on
// loopback, with a real Controller over the in-memory store (so the figures are the
// transport's and the conversions', not a disk's):
//   - unary round trip (committedEndOffset), sequential: p50 / p99;
//   - object commits (8 partitions each), 1 and 32 in flight: commits per second;
//   - extentsFrom without the client's cache and from it;
//   - createTopics until read-your-writes (the watched copy shows the topic);
//   - watch fan-out: a change made on the controller until a client's listener sees it.
// Run: node services/controller/bench/grpc.bench.ts
//
// Result on the dev VM (Node 24, 2 vCPU shared with other work, so figures vary):
// see the "Measured" paragraph of docs/architecture.md's "The controller API over gRPC".

import { MemoryObjectStore } from '@stratus/objectstore';
import { SeededRandom } from '@stratus/runtime';
import type { ObjectCommit, TopicPartition } from '@stratus/partition-index';
import { Controller, ControllerGrpcServer, GrpcControllerClient, MemoryMetadataStore } from '../src/index.ts';
import type { ControllerApi } from '../src/index.ts';
import { toClusterMetadata } from '../src/grpc/convert.ts';
import * as pb from '../src/grpc/generated/stratus/controller/v1/controller.ts';

const PARTITIONS = 8;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function latency(label: string, n: number, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 200; i++) await fn(); // warm up
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} p50 ${percentile(times, 0.5).toFixed(3)} ms  p99 ${percentile(times, 0.99).toFixed(3)} ms`);
}

/** Per worker, its own topic's partitions and their committed ends: a worker's commits follow each other. */
interface Lane {
  readonly tps: TopicPartition[];
  readonly end: number[];
}

let objectSeq = 0;

function nextCommit(lane: Lane): ObjectCommit {
  const key = `bench/${objectSeq++}`;
  const extents = lane.tps.map((tp, i) => {
    const base = lane.end[i]!;
    lane.end[i] = base + 100;
    return { ...tp, objectKey: key, objectSize: 8 * 1024 * 1024, baseOffset: base, lastOffset: base + 99, position: i * 1000, length: 1000, maxTimestamp: 0, leaderEpoch: 0 };
  });
  return { objectKey: key, objectSize: 8 * 1024 * 1024, extents };
}

async function commits(label: string, api: ControllerApi, lanes: Lane[], perLane: number): Promise<void> {
  let rejected = 0;
  const t = performance.now();
  await Promise.all(
    lanes.map(async (lane) => {
      for (let i = 0; i < perLane; i++) rejected += (await api.commit(nextCommit(lane))).rejected.length;
    }),
  );
  const s = (performance.now() - t) / 1000;
  const n = lanes.length * perLane;
  console.log(`${label.padEnd(44)} ${(n / s).toFixed(0)} commits/s (${PARTITIONS} partitions each${rejected > 0 ? `, ${rejected} REJECTED` : ''})`);
}

async function main(): Promise<void> {
  const controller = await Controller.open({ store: new MemoryMetadataStore(), objectStore: new MemoryObjectStore(), random: new SeededRandom(1) });
  await controller.registerBroker({ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null });
  const server = await ControllerGrpcServer.start({ api: controller, port: 0 });
  const client = await GrpcControllerClient.connect({ target: server.address, random: new SeededRandom(2) });
  const watcher = await GrpcControllerClient.connect({ target: server.address, random: new SeededRandom(3) });

  const [r] = await controller.createTopics([{ name: 'bench', numPartitions: PARTITIONS, replicationFactor: 1, configs: {} }], { validateOnly: false });
  const topicId = r!.topic!.topicId;
  const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topicId, partition }));
  const tp = tps[0]!;

  await latency('committedEndOffset, in process', 5000, () => controller.committedEndOffset(tp));
  await latency('committedEndOffset, gRPC', 5000, () => client.committedEndOffset(tp));

  const lanes: Lane[] = [{ tps, end: tps.map(() => 0) }];
  for (let i = 1; i < 32; i++) {
    const [x] = await controller.createTopics([{ name: `lane${i}`, numPartitions: PARTITIONS, replicationFactor: 1, configs: {} }], { validateOnly: false });
    const ids = Array.from({ length: PARTITIONS }, (_, partition) => ({ topicId: x!.topic!.topicId, partition }));
    lanes.push({ tps: ids, end: ids.map(() => 0) });
  }
  await commits('commit, in process, 1 in flight', controller, lanes.slice(0, 1), 3000);
  await commits('commit, gRPC, 1 in flight', client, lanes.slice(0, 1), 3000);
  await commits('commit, in process, 32 in flight', controller, lanes, 300);
  await commits('commit, gRPC, 32 in flight', client, lanes, 300);

  const cold = await GrpcControllerClient.connect({ target: server.address, extentCache: { maxExtents: 0 }, random: new SeededRandom(4) });
  await latency('extentsFrom, gRPC, no cache', 2000, () => cold.extentsFrom(tp, 500, 16));
  await client.extentsFrom(tp, 500, 16);
  await latency('extentsFrom, gRPC, cache hit', 2000, () => client.extentsFrom(tp, 500, 16));

  let n = 0;
  await latency('createTopics until read-your-writes, gRPC', 300, () => client.createTopics([{ name: `t${n++}`, numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false }));

  const seen: number[] = [];
  for (let i = 0; i < 300; i++) {
    const name = `w${i}`;
    const t = performance.now();
    const arrived = new Promise<void>((resolve) => {
      const stop = watcher.watch((m) => {
        if (m.topics.some((x) => x.name === name)) {
          stop();
          resolve();
        }
      });
    });
    await controller.createTopics([{ name, numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false });
    await arrived;
    seen.push(performance.now() - t);
  }
  seen.sort((a, b) => a - b);
  const bytes = pb.ClusterMetadata.encode(toClusterMetadata(controller.metadata())).finish().length;
  console.log(`${'watch: change made until a listener sees it'.padEnd(44)} p50 ${percentile(seen, 0.5).toFixed(3)} ms  p99 ${percentile(seen, 0.99).toFixed(3)} ms (${controller.metadata().topics.length} topics at the end: ${(bytes / 1024).toFixed(0)} KiB a snapshot)`);

  await cold.close();
  await watcher.close();
  await client.close();
  await server.close();
  await controller.close();
}

await main();
