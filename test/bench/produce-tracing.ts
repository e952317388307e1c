// What tracing costs on the produce path (issue 12 §2: "costing nothing measurable when
// off"). A focused micro-benchmark, not `npm run bench`: a whole broker in this process
// (services/broker/test/data-path's world: Controller, StorageEngine on a real WAL with
// fdatasync, Broker, requests through the dispatcher and the real codec), 32 produce
// requests in flight (so group commit amortizes fsync and the CPU is what limits),
// each one batch of 10 records × 100 bytes to one of 4 partitions.
//
//   node --initial-old-space-size=128 test/bench/produce-tracing.ts off|on|unsampled [seconds] [rounds]
//
// off:       tracing.otlpEndpoint unset (the default): no SDK loaded, currentTracing() undefined
// on:        the SDK with samplingRatio 1, every span exported over OTLP/HTTP to a receiver in
//            another process that discards the bodies (the collector's cost is not ours)
// unsampled: the SDK with samplingRatio 0: spans are started but not recorded or exported
// Prints requests/s and CPU µs per request of this process for each round.

import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { ApiKey } from '@stratus/protocol';
import { DataPathWorld } from '../../services/broker/test/data-path/support/world.ts';
import { batch, PRODUCE_VERSION, produceRequest } from '../../services/broker/test/data-path/support/kafka.ts';

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
    const { startTracing } = await import('../../services/cli/src/tracing/start.ts');
    collector = await discardingCollector();
    await startTracing({ otlpEndpoint: collector.url, samplingRatio: mode === 'on' ? 1 : 0, serviceName: 'bench' }, pino({ level: 'warn' }));
  }
  const world = await DataPathWorld.open();
  await world.createTopic('bench', PARTITIONS);
  const value = 'x'.repeat(100);
  const records = batch(Array.from({ length: 10 }, () => value));
  const bodies = Array.from({ length: PARTITIONS }, (_, p) => produceRequest('bench', p, records));
  let sent = 0;
  const one = async (): Promise<void> => {
    const r = await world.call(ApiKey.Produce, PRODUCE_VERSION, bodies[sent++ % PARTITIONS]!);
    const code = r.responses[0]!.partitionResponses[0]!.errorCode;
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

await main();
process.exit(0);
