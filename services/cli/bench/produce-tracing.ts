// What tracing costs on the produce path (issue 12 §2: "costing nothing measurable when
// off"). A focused micro-benchmark, not `npm run bench`: a whole broker in this process,
// assembled as `stratus dev` assembles it with dev's default settings (Controller over an
// in-memory metadata store, StorageEngine on a real WAL with fdatasync, a memory object
// store, the Broker), requests going through its dispatcher and the real codec; 32
// produce requests in flight (so group commit amortizes fsync and the CPU is what
// limits), each one batch of 10 records × 100 bytes to one of 4 partitions.
//
//   node --initial-old-space-size=128 services/cli/bench/produce-tracing.ts off|on|unsampled [seconds] [rounds]
//
// off:       tracing.otlpEndpoint unset (the default): no SDK loaded, currentTracing() undefined
// on:        the SDK with samplingRatio 1, every span exported over OTLP/HTTP to a receiver in
//            another process that discards the bodies (the collector's cost is not ours)
// unsampled: the SDK with samplingRatio 0: spans are started but not recorded or exported
// Prints requests/s and CPU µs per request of this process for each round.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Broker } from '@stratus/broker';
import { Controller, MemoryMetadataStore } from '@stratus/controller';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ApiKey, buildRecordBatch, decodeResponse, encodeRequest } from '@stratus/protocol';
import type { Input, ProduceRequest } from '@stratus/protocol';
import { systemClock, systemRandom } from '@stratus/runtime';
import { StorageEngine, storeReader } from '@stratus/storage';
import { openWal } from '@stratus/wal';
import { loadConfigWith } from '../src/config/load.ts';
import { configSchema } from '../src/config/schema.ts';
import { brokerSettings } from '../src/parts/broker-settings.ts';

const PRODUCE_VERSION = 9;

const mode = process.argv[2] ?? 'off';
const seconds = Number(process.argv[3] ?? 5);
const rounds = Number(process.argv[4] ?? 3);
const IN_FLIGHT = 32;
const PARTITIONS = 4;

/** A collector in its own process: accepts POST /v1/traces, discards the body, answers 200. */
async function discardingCollector(): Promise<{ url: string; stop(): void }> {
  const child = spawn(
    process.execPath,
    ['-e', "const s=require('http').createServer((q,r)=>{q.resume();q.on('end',()=>r.writeHead(200).end())});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

async function main(): Promise<void> {
  let collector: { url: string; stop(): void } | undefined;
  // Off, the adapter is not even imported (as in a process without tracing.otlpEndpoint, where it only installs "off"):
  // the same script then also runs on a tree from before tracing, to compare.
  if (mode !== 'off') {
    const { startTracing } = await import('../src/tracing/start.ts');
    collector = await discardingCollector();
    await startTracing({ otlpEndpoint: collector.url, samplingRatio: mode === 'on' ? 1 : 0, serviceName: 'bench' }, pino({ level: 'warn' }));
  }
  const world = await openBroker();
  const value = 'x'.repeat(100);
  const records = buildRecordBatch({ records: Array.from({ length: 10 }, () => ({ key: null, value, timestamp: Date.now() })) });
  const bodies: Input<ProduceRequest>[] = Array.from({ length: PARTITIONS }, (_, p) => ({ transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'bench', partitionData: [{ index: p, records }] }] }));
  const conn = { connectionId: 1, listenerName: 'PLAINTEXT', remoteAddress: '127.0.0.1:40000', signal: new AbortController().signal };
  let sent = 0;
  const one = async (): Promise<void> => {
    const n = sent++;
    // Encoded per request, as a client's bytes arrive; the dispatcher takes the frame without its size prefix.
    const result = await world.broker.dispatcher.dispatch(encodeRequest(ApiKey.Produce, PRODUCE_VERSION, n, 'bench', bodies[n % PARTITIONS]!).subarray(4), conn);
    if (result.kind !== 'response') throw new Error(`produce not answered: ${result.kind}`);
    const r = decodeResponse(ApiKey.Produce, PRODUCE_VERSION, Buffer.concat(result.chunks).subarray(4));
    if (!r.ok) throw r.error;
    const code = r.value.body.responses[0]!.partitionResponses[0]!.errorCode;
    if (code !== 0) throw new Error(`produce failed: ${code}`);
  };
  const run = async (ms: number): Promise<{ requests: number; cpuUs: number; wallMs: number }> => {
    const deadline = performance.now() + ms;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < deadline) {
          await one();
          done++;
        }
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    return { requests: done, cpuUs: cpu.user + cpu.system, wallMs: performance.now() - t0 };
  };
  await run(1000); // warm-up: JIT, WAL segment files, partitions open
  for (let i = 0; i < rounds; i++) {
    const r = await run(seconds * 1000);
    console.log(JSON.stringify({ mode, round: i + 1, requestsPerSecond: Math.round((r.requests / r.wallMs) * 1000), cpuUsPerRequest: Math.round((r.cpuUs / r.requests) * 10) / 10 }));
  }
  await world.close();
  collector?.stop();
}

/** Controller, storage and broker as `stratus dev` builds them, on a temp WAL directory and memory stores. */
async function openBroker(): Promise<{ broker: Broker; close(): Promise<void> }> {
  const config = loadConfigWith(configSchema, { env: { STRATUS_KAFKA_PORT: '0', STRATUS_KAFKA_ADVERTISED_PORT: '9092' } }); // registration refuses an advertised port 0
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-'));
  const store = new MemoryObjectStore('bench');
  const controller = await Controller.open({ store: new MemoryMetadataStore(), objectStore: store, clock: systemClock, random: systemRandom, objectKeyPrefix: 'bench' });
  const { wal } = await openWal({ dir, clock: systemClock });
  const storage = await StorageEngine.open({ wal, store, index: controller, reader: storeReader(store), clock: systemClock, random: systemRandom, nodeId: config.node.id, keyPrefix: 'bench' });
  const broker = await Broker.start({ config: brokerSettings(config, { initialRebalanceDelayMs: 0, groupCleanupIntervalMs: 60_000 }).config, network: { host: '127.0.0.1', port: 0 }, controller, storage, clock: systemClock });
  // Created once the broker is registered, so it leads them at once.
  const [created] = await controller.createTopics([{ name: 'bench', numPartitions: PARTITIONS, replicationFactor: -1, configs: {} }], { validateOnly: false });
  if (created?.errorCode !== 0) throw new Error(`creating the topic failed: ${created?.errorMessage}`);
  return {
    broker,
    close: async () => {
      await broker.close({ drainTimeoutMs: 0 });
      await controller.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

await main();
process.exit(0);
