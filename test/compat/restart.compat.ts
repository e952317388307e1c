// What survives a restart of `stratus dev`: each test starts its own Stratus processes
// (test/support/stratus-process.ts) on its own data directory, stops or kills them, starts
// again on the same directory (and Kafka port) and checks with real clients — the Java
// client with its default settings (idempotent, acks=all) for producing, kcat for reading
// every partition to its end, kafkajs for the admin API — and, for durability, by looking
// into the data directory itself (support/stratus-data.ts).
//
//   a. SIGTERM after an acknowledged stream: everything back at its acked offset, once;
//      producing again continues the offsets, under a new producer id.
//   b. SIGKILL in the middle of a stream, the producer riding through the restart: every
//      acknowledged record at its acknowledged offset, no holes, no duplicates, and a
//      consumer group's committed offsets kept.
//   c. Durability: `stratus.durability=object` acks only once the data is in an object the
//      controller references (checked at the ack through objects/ and metadata/), so it
//      survives SIGKILL plus the loss of the WAL; `local` acks before any upload and
//      survives SIGKILL through the WAL, with or without an fdatasync per ack
//      (wal.syncWrites: a killed process leaves its writes with the OS either way).
//
// These tests exist for Stratus only (no other broker has its data directory), so they run
// in stratus mode (the default) and are reported as skipped in the kafka and external modes.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { StratusProcess } from '../support/stratus-process.ts';
import type { StratusProcessOptions } from '../support/stratus-process.ts';
import { kafkaClient } from './support/kafkajs.ts';
import { targetMode } from './support/mode.ts';
import { java, provisionedPeers } from './support/peers.ts';
import { PEERS, REPO, describeFailure, eventually, jsonLines, run, uniqueName } from './support/process.ts';
import { durableControllerState, storedObjects, uncovered } from './support/stratus-data.ts';

// A bad setting throws here, failing this file with the reason (as the others fail in beforeAll).
const stratusMode = targetMode().kind === 'stratus';

// ---------------------------------------------------------------------------------------
// Processes of one test, killed (and their data removed) afterwards.

const brokers: StratusProcess[] = [];
const children: ChildProcess[] = [];

async function startBroker(options: StratusProcessOptions = {}): Promise<StratusProcess> {
  const b = await StratusProcess.start(options);
  brokers.push(b);
  return b;
}

/** The same data directory and Kafka port again (clients reconnect), with `env`. */
function restartBroker(previous: StratusProcess, env: Readonly<Record<string, string>> = {}): Promise<StratusProcess> {
  return startBroker({ dataDir: previous.dataDir, kafkaPort: previous.kafkaPort, env });
}

afterEach(async (context) => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  const failed = context.task.result?.state === 'fail';
  const dirs = new Set<string>();
  for (const b of brokers.splice(0)) {
    if (failed) console.error(`--- stratus dev output (${b.dataDir}, port ${b.kafkaPort}) ---\n${b.output.slice(-10_000)}`);
    await b.kill();
    dirs.add(b.dataDir);
  }
  for (const d of dirs) {
    if (failed || process.env['STRATUS_COMPAT_KEEP']) console.error(`restart: kept ${d}`);
    else await rm(d, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------
// Clients.

async function withAdmin<T>(bootstrap: string, f: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient(bootstrap, 'stratus-compat-restart').admin();
  await admin.connect();
  try {
    return await f(admin);
  } finally {
    await admin.disconnect();
  }
}

async function createTopic(bootstrap: string, topic: string, numPartitions: number, configs: Record<string, string> = {}): Promise<void> {
  await withAdmin(bootstrap, async (admin) => {
    const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
    expect(await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1, configEntries }], waitForLeaders: true })).toBe(true);
  });
}

interface Ack {
  readonly key: string;
  readonly partition: number;
  readonly offset: number;
}

/** CompatProducer (Java, default settings: idempotent, acks=all): `count` records, every ack. */
async function produceJava(bootstrap: string, topic: string, count: number): Promise<{ acks: Ack[]; producerId: string }> {
  const r = await java('CompatProducer', ['--bootstrap', bootstrap, '--topic', topic, '--count', String(count)]);
  if (r.code !== 0) throw new Error(describeFailure(r));
  const lines = jsonLines(r.stdout);
  expect(lines.at(-1)).toMatchObject({ summary: true, acked: count, failed: 0, 'enable.idempotence': true, acks: '-1' });
  const producerId = /ProducerId set to (\d+) with epoch/.exec(r.stderr)?.[1];
  expect(producerId, `the producer's log:\n${r.stderr}`).toBeDefined();
  return { acks: lines.filter((l) => 'acked' in l && !('summary' in l)) as unknown as Ack[], producerId: producerId! };
}

/** StreamProducer (Java, default settings) running in the background, its acks as they come. */
class StreamingProducer {
  readonly acks: Ack[] = [];
  readonly failures: Record<string, unknown>[] = [];
  summary: Record<string, unknown> | undefined;
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(child: ChildProcess) {
    this.child = child;
    children.push(child);
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      const nl = buffered.lastIndexOf('\n');
      if (nl < 0) return;
      for (const line of jsonLines(buffered.slice(0, nl))) {
        if ('summary' in line) this.summary = line;
        else if ('acked' in line) this.acks.push(line as unknown as Ack);
        else this.failures.push(line);
      }
      buffered = buffered.slice(nl + 1);
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  static async start(bootstrap: string, topic: string, count: number, ratePerSecond: number): Promise<StreamingProducer> {
    const peers = await provisionedPeers();
    const args = ['--bootstrap', bootstrap, '--topic', topic, '--count', String(count), '--rate', String(ratePerSecond)];
    const child = spawn('bash', [path.join(PEERS, 'kafka-run.sh'), 'StreamProducer', ...args], {
      cwd: REPO,
      env: { ...process.env, KAFKA_RUN_CP: peers.javaClasses },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new StreamingProducer(child);
  }

  waitForAcks(n: number, timeoutMs = 60_000): Promise<true> {
    return eventually(`${n} acks (have ${this.acks.length}; producer stderr: ${this.stderr.slice(-2000)})`, timeoutMs, () =>
      this.acks.length >= n ? true : undefined,
    );
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

interface Consumed {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
}

/** Every record of every partition of `topic`, from the log start to the end (kcat -e: no group). */
async function readAll(bootstrap: string, topic: string): Promise<Consumed[]> {
  const r = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q'], { timeoutMs: 90_000 });
  if (r.code !== 0) throw new Error(describeFailure(r));
  return (jsonLines(r.stdout) as unknown as { partition: number; offset: number; key: string; payload: string }[]).map((m) => ({
    partition: m.partition,
    offset: m.offset,
    key: m.key,
    value: m.payload,
  }));
}

/**
 * The log as read: each partition's offsets are 0..n-1 with no hole, no key appears
 * twice, each value is the one its key was sent with, and each acknowledged record is at
 * its acknowledged offset. Returns the end offset of each partition.
 */
function expectIntactLog(records: readonly Consumed[], acks: readonly Ack[], partitions: number): number[] {
  const ends: number[] = [];
  for (let p = 0; p < partitions; p++) {
    const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
    expect(offsets, `partition ${p}: offsets from 0 without holes`).toEqual(offsets.map((_, i) => i));
    ends.push(offsets.length);
  }
  const at = new Map<string, string>();
  const duplicated: string[] = [];
  for (const r of records) {
    if (at.has(r.key)) duplicated.push(r.key);
    at.set(r.key, `${r.partition}/${r.offset}`);
    expect(r.value, r.key).toBe(`v-${r.key.slice(2)}`);
  }
  expect(duplicated.slice(0, 10), `${duplicated.length} keys read more than once`).toEqual([]);
  const misplaced = acks.filter((a) => at.get(a.key) !== `${a.partition}/${a.offset}`);
  expect(
    misplaced.slice(0, 10).map((a) => `${a.key}: acked at ${a.partition}/${a.offset}, read at ${at.get(a.key) ?? 'nowhere'}`),
    `${misplaced.length} of ${acks.length} acknowledged records missing or elsewhere`,
  ).toEqual([]);
  return ends;
}

/** Acked offsets of one partition, in ack order, are consecutive from `from`. */
function expectConsecutive(acks: readonly Ack[], partition: number, from: number): void {
  const offsets = acks.filter((a) => a.partition === partition).map((a) => a.offset);
  expect(offsets, `partition ${partition}: acked offsets continue from ${from}`).toEqual(offsets.map((_, i) => from + i));
}

// ---------------------------------------------------------------------------------------

describe.skipIf(!stratusMode)('restarts of stratus dev (stratus mode only: these tests start, kill and restart their own brokers)', () => {
  it('a. SIGTERM after 5,000 acknowledged records: all of them back at their offsets once, in objects; producing again continues the offsets', async () => {
    const N = 5000;
    const P = 3;
    const topic = uniqueName('restart-sigterm');
    const first = await startBroker();
    await createTopic(first.bootstrap, topic, P);
    const before = await produceJava(first.bootstrap, topic, N);
    for (let p = 0; p < P; p++) expectConsecutive(before.acks, p, 0);

    expect(await first.stop(), `exit code of a SIGTERM'd stratus dev:\n${first.output}`).toBe(0);
    // A graceful stop uploads and commits the WAL: every acknowledged offset is in an
    // object the controller references.
    const state = await durableControllerState(first.dataDir);
    const topicId = state.topicIds.get(topic)!;
    const objects = new Set((await storedObjects(first.dataDir)).map((o) => o.key));
    for (let p = 0; p < P; p++) {
      const extents = state.topics.get(topicId)!.partitions[p]!.extents;
      const n = before.acks.filter((a) => a.partition === p).length;
      expect(uncovered(extents, 0, n - 1), `partition ${p}: offsets not in committed extents after SIGTERM`).toEqual([]);
      for (const e of extents) expect(objects.has(e.objectKey), `${e.objectKey} exists`).toBe(true);
    }

    const second = await restartBroker(first);
    const ends = expectIntactLog(await readAll(second.bootstrap, topic), before.acks, P);
    expect(ends.reduce((a, b) => a + b, 0), 'records read after the restart').toBe(N);

    // A new producer after the restart: its records follow the old ones in every partition,
    // and it did not get the old producer's id back (the id allocation survived too).
    const after = await produceJava(second.bootstrap, topic, 1000);
    for (let p = 0; p < P; p++) expectConsecutive(after.acks, p, ends[p]!);
    expect(after.producerId, 'producer id after the restart').not.toBe(before.producerId);
    // Both runs used keys k-0.., so check by position: every ack of either run is where it was acked.
    const all = await readAll(second.bootstrap, topic);
    expect(all).toHaveLength(N + 1000);
    const keyAt = new Map(all.map((r) => [`${r.partition}/${r.offset}`, r.key]));
    for (const a of [...before.acks, ...after.acks]) expect(keyAt.get(`${a.partition}/${a.offset}`), `${a.partition}/${a.offset}`).toBe(a.key);
  });

  it('b. SIGKILL in the middle of a stream: acknowledged records at their offsets, no holes, no duplicates, committed group offsets kept', async () => {
    const N = 10_000;
    const RATE = 500; // records a second: the stream lasts 20 s
    const P = 3;
    const topic = uniqueName('restart-sigkill');
    const group = uniqueName('restart-sigkill');
    const first = await startBroker();
    await createTopic(first.bootstrap, topic, P);

    const producer = await StreamingProducer.start(first.bootstrap, topic, N, RATE);
    await producer.waitForAcks(1500);

    // A group member reads 1,000 records and commits right after them (small fetches, so
    // that it reads, and commits, some of every partition).
    const c = await java('CompatConsumer', [
      '--bootstrap', first.bootstrap, '--topic', topic, '--group', group, '--expect', '1000', '--timeout-ms', '60000',
      '--prop', 'max.partition.fetch.bytes=2048',
    ]);
    if (c.code !== 0) throw new Error(describeFailure(c));
    const committed = jsonLines(c.stdout).at(-1)!['committed'] as Record<string, number>;
    expect(Object.values(committed).reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Object.keys(committed).length, `committed ${JSON.stringify(committed)}`).toBeGreaterThan(1);

    // Let the stream go on a little, then kill the broker under it.
    await producer.waitForAcks(producer.acks.length + 300);
    await first.kill();
    const ackedBeforeKill = producer.acks.length;
    expect(ackedBeforeKill, 'the kill came in the middle of the stream').toBeLessThan(N - 1000);
    expect(producer.alive, 'the producer is still running').toBe(true);

    const second = await restartBroker(first);
    // The producer reconnects by itself and finishes: idempotence with retries means every
    // record is acknowledged exactly once even across the crash.
    const code = await eventually('the producer to finish', 120_000, () => (producer.alive ? undefined : producer.exited));
    expect(producer.failures.slice(0, 5), `producer stderr:\n${producer.stderr.slice(-3000)}`).toEqual([]);
    expect(producer.summary, `exit ${String(code)}; stderr:\n${producer.stderr.slice(-3000)}`).toMatchObject({ acked: N, failed: 0 });
    expect(producer.acks).toHaveLength(N);

    const records = await readAll(second.bootstrap, topic);
    expectIntactLog(records, producer.acks, P);
    expect(records, 'records read (none lost, none written twice)').toHaveLength(N);

    // The group's commits survived the crash, and a new member resumes exactly there.
    const fetched = await withAdmin(second.bootstrap, (admin) => admin.fetchOffsets({ groupId: group, topics: [topic] }));
    const kept = Object.fromEntries(fetched[0]!.partitions.filter((p) => p.offset !== '-1').map((p) => [String(p.partition), Number(p.offset)]));
    expect(kept, 'committed offsets after the restart').toEqual(committed);
    const rest = N - 1000;
    const r = await java('CompatConsumer', ['--bootstrap', second.bootstrap, '--topic', topic, '--group', group, '--expect', String(rest), '--timeout-ms', '90000']);
    if (r.code !== 0) throw new Error(describeFailure(r));
    const resumed = jsonLines(r.stdout).filter((l) => 'offset' in l) as unknown as Consumed[];
    expect(resumed).toHaveLength(rest);
    for (let p = 0; p < P; p++) {
      const offsets = resumed.filter((x) => x.partition === p).map((x) => x.offset);
      const from = committed[String(p)] ?? 0;
      expect(offsets, `partition ${p}: the resumed member starts at the committed offset ${from}`).toEqual(offsets.map((_, i) => from + i));
    }
  });

  it('c. stratus.durability=object: the ack comes once an object the controller references holds the data, which survives SIGKILL and a lost WAL', async () => {
    const P = 2;
    const topic = uniqueName('restart-object');
    const first = await startBroker();
    await createTopic(first.bootstrap, topic, P, { 'stratus.durability': 'object' });

    /** Right after an ack: the offsets are in an existing object's index and in the controller's durable index. */
    const expectInCommittedObject = async (acked: Map<number, { from: number; to: number }>, what: string): Promise<void> => {
      const [objects, state] = await Promise.all([storedObjects(first.dataDir), durableControllerState(first.dataDir)]);
      const topicId = state.topicIds.get(topic);
      expect(topicId, 'the topic in the controller state').toBeDefined();
      const byKey = new Map(objects.map((o) => [o.key, o]));
      for (const [p, { from, to }] of acked) {
        const inObjects = objects.flatMap((o) => o.extents).filter((e) => e.topicId === topicId && e.partition === p);
        expect(uncovered(inObjects, from, to), `${what}: partition ${p} offsets ${from}-${to} missing from the objects' indexes`).toEqual([]);
        const referenced = state.topics.get(topicId!)!.partitions[p]!.extents;
        expect(uncovered(referenced, from, to), `${what}: partition ${p} offsets ${from}-${to} missing from the controller's index`).toEqual([]);
        for (const e of referenced.filter((x) => x.lastOffset >= from && x.baseOffset <= to)) {
          const o = byKey.get(e.objectKey);
          expect(o, `${what}: ${e.objectKey}, referenced by the controller, exists`).toBeDefined();
          expect(o!.size).toBe(e.objectSize);
          expect(o!.extents.some((x) => x.topicId === topicId && x.partition === p && x.baseOffset <= e.baseOffset && x.lastOffset >= e.lastOffset)).toBe(true);
          expect(state.objects.get(e.objectKey)?.liveExtents, `${what}: ${e.objectKey} is live`).toBeGreaterThan(0);
        }
      }
    };

    // kafkajs, idempotent (acks=all): each send awaited, the checks made the moment it resolves.
    const acks: Ack[] = [];
    const producer = kafkaClient(first.bootstrap, 'stratus-compat-restart').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let batch = 0; batch < 6; batch++) {
        const messages = Array.from({ length: 50 }, (_, j) => ({ key: `k-js-${batch}-${j}`, value: `v-js-${batch}-${j}`, partition: batch % P }));
        const [md] = await producer.send({ topic, acks: -1, messages });
        const base = Number(md!.baseOffset);
        await expectInCommittedObject(new Map([[md!.partition, { from: base, to: base + messages.length - 1 }]]), `kafkajs send ${batch}`);
        messages.forEach((m, j) => acks.push({ key: m.key, partition: md!.partition, offset: base + j }));
      }
    } finally {
      await producer.disconnect();
    }
    // The Java client with its defaults (idempotent, acks=all), pipelining many batches.
    const java1 = await produceJava(first.bootstrap, topic, 2000);
    const ranges = new Map<number, { from: number; to: number }>();
    for (const a of java1.acks) {
      const r = ranges.get(a.partition);
      ranges.set(a.partition, { from: Math.min(r?.from ?? a.offset, a.offset), to: Math.max(r?.to ?? a.offset, a.offset) });
    }
    await expectInCommittedObject(ranges, 'Java producer');
    acks.push(...java1.acks);

    await first.kill();
    await rm(path.join(first.dataDir, 'wal'), { recursive: true, force: true });
    const second = await restartBroker(first);
    // kafkajs keys are k-js-<batch>-<i>, Java keys k-<i>: one key space, each key once.
    const records = await readAll(second.bootstrap, topic);
    expectIntactLog(records, acks, P);
    expect(records, 'records read after SIGKILL and without the WAL').toHaveLength(acks.length);
  });

  it.each([
    ['with an fdatasync per group commit (wal.syncWrites=true, the default)', {}],
    ['with wal.syncWrites=false (acks once written to the OS, no fdatasync)', { STRATUS_WAL_SYNC_WRITES: 'false' }],
  ])('c. stratus.durability=local (the default): the ack comes before any upload, and SIGKILL keeping the WAL loses nothing, %s', async (_, walEnv) => {
    const P = 2;
    const N = 2000;
    const topic = uniqueName('restart-local');
    // No upload before the kill: nothing reaches the 8 MiB object size, and the delay is long.
    const first = await startBroker({ env: { STRATUS_UPLOAD_MAX_DELAY: '10m', ...walEnv } });
    await createTopic(first.bootstrap, topic, P);
    const { acks } = await produceJava(first.bootstrap, topic, N);
    const state = await durableControllerState(first.dataDir);
    const topicId = state.topicIds.get(topic)!;
    const inObjects = (await storedObjects(first.dataDir)).flatMap((o) => o.extents).filter((e) => e.topicId === topicId);
    expect(inObjects, 'extents of the topic in objects when the acks came').toEqual([]);
    for (const p of state.topics.get(topicId)!.partitions) expect(p.extents).toEqual([]);

    await first.kill();
    const second = await restartBroker(first);
    const ends = expectIntactLog(await readAll(second.bootstrap, topic), acks, P);
    expect(ends.reduce((a, b) => a + b, 0)).toBe(N);
    // Recovery uploads what it replayed from the WAL: soon it is all in committed objects.
    await eventually('the recovered records to be uploaded and committed', 30_000, async () => {
      const s = await durableControllerState(second.dataDir);
      return s.topics.get(topicId)!.partitions.every((p, i) => uncovered(p.extents, 0, ends[i]! - 1).length === 0) ? true : undefined;
    });
  });
});
