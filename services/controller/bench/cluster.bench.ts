// Measures the cluster protocol's decisions at scale, where they hold the controller's
// event loop (every decision is synchronous): desiredAssignment on its own (all
// partitions placed afresh, and a join of one broker to an even assignment), and through
// the controller: a registration (which gives leaderless partitions a leader), a check
// that rebalances after a join, and a heartbeat.
// Run: node services/controller/bench/cluster.bench.ts [--small]
//
// Result on the dev VM (Node 24, 2 vCPU shared with other work and a soak benchmark),
// 100,000 partitions (1,000 topics × 100) over 30 brokers in 3 racks:
//   desiredAssignment, all placed afresh                 ~300 ms
//   desiredAssignment, a 31st broker joins               ~150 ms, asks for 3,225 moves
//                                                        (exactly the new broker's share)
//   registerBroker of the first broker (100,000 leaderless partitions get one)  ~230 ms
//   runClusterCheck after 29 joins (starts 96,666 moves; maxConcurrentMoves raised
//   for the bench)                                       ~800 ms
//   runClusterCheck with nothing to do but 96,666 moves to watch  ~30 ms
//   heartbeat                                            < 0.1 ms
// Each holds the event loop for that long (decisions are synchronous); with the default
// maxConcurrentMoves (32) a check watches at most 32 moves, and a rebalance runs only
// when something changed. --small: 1,000 partitions, 6 brokers, all under 6 ms.

import { performance } from 'node:perf_hooks';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { desiredAssignment } from '../src/cluster/assignment.ts';
import type { AssignmentPartition } from '../src/cluster/assignment.ts';
import { Controller, MemoryMetadataStore } from '../src/index.ts';

const small = process.argv.includes('--small');
const TOPICS = small ? 100 : 1000;
const PARTITIONS_PER_TOPIC = small ? 10 : 100; // 100,000 partitions in all
const BROKERS = small ? 6 : 30;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(label: string, runs: number, fn: () => void): void {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  console.log(`${label.padEnd(58)} median ${median(ms).toFixed(1)} ms  max ${Math.max(...ms).toFixed(1)} ms`);
}

async function timeAsync(label: string, runs: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  console.log(`${label.padEnd(58)} median ${median(ms).toFixed(1)} ms  max ${Math.max(...ms).toFixed(1)} ms`);
}

const brokers = Array.from({ length: BROKERS }, (_, i) => ({ nodeId: i + 1, rack: `r${i % 3}` }));
const fresh: AssignmentPartition[] = [];
for (let t = 0; t < TOPICS; t++) for (let p = 0; p < PARTITIONS_PER_TOPIC; p++) fresh.push({ topicId: `topic-${String(t).padStart(5, '0')}`, partition: p, current: -1 });
console.log(`${TOPICS * PARTITIONS_PER_TOPIC} partitions, ${BROKERS} brokers in 3 racks`);

let even = new Map<string, number>();
time('desiredAssignment, all placed afresh', 5, () => {
  even = desiredAssignment(brokers, fresh);
});
const placed = fresh.map((p) => ({ ...p, current: even.get(`${p.topicId}:${p.partition}`)! }));
const joined = [...brokers, { nodeId: BROKERS + 1, rack: 'r0' }];
let moved = 0;
time('desiredAssignment, one broker joins an even assignment', 5, () => {
  const r = desiredAssignment(joined, placed);
  moved = placed.filter((p) => r.get(`${p.topicId}:${p.partition}`) !== p.current).length;
});
console.log(`  moves the join asks for: ${moved}`);

// Through the controller.
const clock = new ManualClock();
const controller = await Controller.open({
  store: new MemoryMetadataStore(),
  objectStore: new MemoryObjectStore(),
  clock,
  random: new SeededRandom(1),
  maxPartitions: 1_000_000,
  cluster: { maxConcurrentMoves: 100_000 },
});
for (let t = 0; t < TOPICS; t += 100) {
  const batch = Array.from({ length: Math.min(100, TOPICS - t) }, (_, i) => ({ name: `topic-${t + i}`, numPartitions: PARTITIONS_PER_TOPIC, replicationFactor: 1, configs: {} }));
  await controller.createTopics(batch, { validateOnly: false });
}
await timeAsync('registerBroker of the first broker (all partitions leaderless)', 1, () => controller.registerBroker({ nodeId: 1, host: 'b1', port: 9092, rack: 'r0' }));
for (let b = 2; b <= BROKERS; b++) await controller.registerBroker({ nodeId: b, host: `b${b}`, port: 9092, rack: `r${b % 3}` });
await timeAsync('runClusterCheck rebalancing after the joins', 1, () => controller.runClusterCheck());
console.log(`  moves under way: ${controller.clusterStats().movesUnderWay}`);
await timeAsync('runClusterCheck with nothing to do', 5, () => controller.runClusterCheck());
const epoch = (await controller.describeCluster()).brokers[0]!.brokerEpoch;
await timeAsync('heartbeat', 200, () => controller.heartbeat(1, epoch));
await controller.close();
