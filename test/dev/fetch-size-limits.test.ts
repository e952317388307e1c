// Fetch size limits seen by real consumers of `stratus dev` (Kafka's KIP-74 rules, as
// ReplicaManager.readFromLocalLog and LogSegment.read apply them): each partition brings at
// most max.partition.fetch.bytes and the answer at most fetch.max.bytes, except that the
// first partition of an answer that has data may bring one batch larger than both — and
// then nothing else comes in that answer. Stratus sends whole batches only (Kafka may end a
// partition's bytes in a cut-off batch, which consumers drop), so the limits hold exactly.
//
// kcat (librdkafka) logs every Fetch answer's size and each partition's bytes in it
// (debug "fetch,msg,protocol"); the Java consumer (kafka-consumer-perf-test) reports the
// largest answer (fetch-size-max). Both run twice: on data still in the broker's in-memory
// tail, and after a restart, when every read comes from the object store.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StratusProcess } from '../support/stratus-process.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** max.partition.fetch.bytes (librdkafka: fetch.message.max.bytes). */
const PARTITION_MAX = 65_536;
/** fetch.max.bytes for kcat: room for two full partitions, not three. */
const RESPONSE_MAX = 131_072;
const RECORD_BYTES = 1_000;
/** Records per produce request (one batch each, about 4 KB). */
const PER_BATCH = 4;
const BATCHES_PER_PARTITION = 60;
const PARTITIONS = 3;
/** The one record of an oversized batch: larger than a partition's limit; two are larger than an answer's. */
const BIG_RECORD_BYTES = 100_000;
/** A small batch's size on the wire is under this (PER_BATCH records, batch and record headers). */
const SMALL_BATCH_MAX_BYTES = PER_BATCH * RECORD_BYTES + 200;
/** Small batches after each oversized one. */
const AFTER_BIG_BATCHES = 10;

interface FetchAnswer {
  /** Bytes of record batches per partition, in the answer's order. */
  readonly partitions: { readonly partition: number; readonly bytes: number }[];
}

/** The Fetch answers kcat received for `topic`, from its debug log. */
function fetchAnswers(debug: string, topic: string): FetchAnswer[] {
  const answers: { partitions: { partition: number; bytes: number }[] }[] = [];
  const messageSet = new RegExp(`Topic ${topic} \\[(\\d+)\\] MessageSet size (\\d+)`);
  for (const line of debug.split('\n')) {
    if (/Received FetchResponse \(v\d+, \d+ bytes/.test(line)) answers.push({ partitions: [] });
    const m = messageSet.exec(line);
    if (m !== null) answers.at(-1)?.partitions.push({ partition: Number(m[1]), bytes: Number(m[2]) });
  }
  return answers;
}

/** Reads `topic` from the start to its end with kcat; the records' count and the Fetch answers. */
async function kcatConsume(bootstrap: string, topic: string): Promise<{ records: number; answers: FetchAnswer[] }> {
  const { stdout, stderr } = await run(
    'kcat',
    [
      '-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\n',
      '-X', `fetch.message.max.bytes=${PARTITION_MAX}`, '-X', `fetch.max.bytes=${RESPONSE_MAX}`,
      // librdkafka wants fetch.max.bytes >= message.max.bytes (a producer setting here).
      '-X', `message.max.bytes=${PARTITION_MAX}`, '-X', 'receive.message.max.bytes=1048576',
      '-d', 'fetch,msg,protocol',
    ],
    { timeout: 60_000, maxBuffer: 1 << 26 },
  );
  return { records: stdout.split('\n').filter((l) => l !== '').length, answers: fetchAnswers(stderr, topic) };
}

let bin: string;
let dev: StratusProcess;

/** kafka-consumer-perf-test over `topic` with 64 KiB limits: records read and fetch-size-max. */
async function javaConsume(topic: string, group: string, records: number): Promise<{ consumed: number; fetchSizeMax: number }> {
  const { stdout } = await run(
    join(bin, 'kafka-consumer-perf-test.sh'),
    [
      '--bootstrap-server', dev.bootstrap, '--topic', topic, '--messages', String(records), '--group', group, '--print-metrics', '--timeout', '30000',
      '--command-property', `fetch.max.bytes=${PARTITION_MAX}`, '--command-property', `max.partition.fetch.bytes=${PARTITION_MAX}`,
    ],
    { timeout: 120_000, maxBuffer: 1 << 24 },
  );
  const max = /fetch-size-max:\{client-id=[^,}]+\}\s*:\s*([\d.]+)/.exec(stdout);
  const consumed = /records-consumed-total:\{client-id=[^,}]+\}\s*:\s*([\d.]+)/.exec(stdout);
  if (max === null || consumed === null) throw new Error(`no fetch metrics in:\n${stdout.slice(-4000)}`);
  return { consumed: Number(consumed[1]), fetchSizeMax: Number(max[1]) };
}

beforeAll(async () => {
  bin = (await run('bash', [join(ROOT, 'test/peers/kafka-bin.sh')], { cwd: ROOT, timeout: 300_000 })).stdout.trim();
  dev = await StratusProcess.start();
  const kafka = new Kafka({ clientId: 'fetch-limits', brokers: [dev.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'limits', numPartitions: PARTITIONS }, { topic: 'oversized', numPartitions: PARTITIONS }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  /** PER_BATCH records for partition `p`: one batch of about 4 KB. */
  const small = (p: number) => Array.from({ length: PER_BATCH }, () => ({ partition: p, value: 'x'.repeat(RECORD_BYTES) }));
  // Each send is one produce request with one batch per partition it names.
  for (let b = 0; b < BATCHES_PER_PARTITION; b++) await producer.send({ topic: 'limits', messages: Array.from({ length: PARTITIONS }, (_, p) => small(p)).flat() });
  // Every partition starts with an oversized batch, then small ones: the consumer's second
  // request asks for two partitions at their oversized batch at once.
  for (let p = 0; p < PARTITIONS; p++) {
    await producer.send({ topic: 'oversized', messages: [{ partition: p, value: 'B'.repeat(BIG_RECORD_BYTES) }] });
    for (let b = 0; b < AFTER_BIG_BATCHES; b++) await producer.send({ topic: 'oversized', messages: small(p) });
  }
  await producer.disconnect();
}, 360_000);

afterAll(async () => {
  await dev?.stop();
}, 60_000);

/**
 * Kafka's rule over one answer, partitions in its order: while no partition has brought
 * data the next may bring one batch over the limits; after that each brings at most
 * min(its limit, what is left of the answer's). Returns the partitions that used the exception.
 */
function checkAnswer(a: FetchAnswer): { partition: number; bytes: number }[] {
  let left = RESPONSE_MAX;
  let first = true;
  const exempt: { partition: number; bytes: number }[] = [];
  for (const p of a.partitions) {
    if (p.bytes === 0) continue;
    const limit = Math.min(PARTITION_MAX, left);
    if (p.bytes > limit) {
      expect(first, `partition ${p.partition} brought ${p.bytes} bytes with ${limit} allowed, after another partition's data`).toBe(true);
      // One oversized batch and nothing after it: its record and the batch framing.
      expect(p.bytes).toBeGreaterThan(BIG_RECORD_BYTES);
      expect(p.bytes).toBeLessThan(BIG_RECORD_BYTES + 200);
      exempt.push(p);
    }
    left = Math.max(0, left - p.bytes);
    first = false;
  }
  return exempt;
}

function checkLimits(records: number, answers: FetchAnswer[]): void {
  expect(records).toBe(PARTITIONS * BATCHES_PER_PARTITION * PER_BATCH);
  for (const a of answers) expect(checkAnswer(a)).toEqual([]);
  // The limits were what stopped the answers: a partition brought as many whole batches as
  // fit in its limit (the next would not have), and answers carried data of several partitions.
  const sizes = answers.flatMap((a) => a.partitions.map((p) => p.bytes));
  expect(Math.max(...sizes)).toBeGreaterThan(PARTITION_MAX - SMALL_BATCH_MAX_BYTES);
  expect(answers.some((a) => a.partitions.filter((p) => p.bytes > 0).length >= 2)).toBe(true);
}

function checkOversized(records: number, answers: FetchAnswer[]): void {
  // Every record came: an oversized batch never stalls its partition.
  expect(records).toBe(PARTITIONS * (1 + AFTER_BIG_BATCHES * PER_BATCH));
  const exempt = answers.map(checkAnswer);
  // Each oversized batch came once, each in an answer of its own.
  expect(exempt.flat().map((p) => p.partition).sort()).toEqual(Array.from({ length: PARTITIONS }, (_, p) => p));
  expect(exempt.every((e) => e.length <= 1)).toBe(true);
  // An answer held back a partition whose next batch was oversized although it had data (a later answer brings it).
  const heldBack = answers.some((a, i) => a.partitions.some((p) => p.bytes === 0 && answers.slice(i + 1).some((b) => b.partitions.some((q) => q.partition === p.partition && q.bytes > PARTITION_MAX))));
  expect(heldBack).toBe(true);
}

describe.each([
  ['from the in-memory tail', false],
  ['from the object store after a restart', true],
] as const)('fetch size limits with real consumers, %s', (_name, restart) => {
  beforeAll(async () => {
    if (!restart) return;
    // A clean stop uploads everything; the restarted broker's tail is empty.
    expect(await dev.stop()).toBe(0);
    dev = await StratusProcess.start({ dataDir: dev.dataDir });
  }, 120_000);

  it('kcat: each partition within max.partition.fetch.bytes, each answer within fetch.max.bytes, whole batches', async () => {
    const r = await kcatConsume(dev.bootstrap, 'limits');
    checkLimits(r.records, r.answers);
  }, 90_000);

  it('kcat: a batch larger than the limits comes alone, as the first partition with data in its answer', async () => {
    const r = await kcatConsume(dev.bootstrap, 'oversized');
    checkOversized(r.records, r.answers);
  }, 90_000);

  it('Java consumer with max.partition.fetch.bytes=fetch.max.bytes=65536: no answer above 64 KiB', async () => {
    const records = PARTITIONS * BATCHES_PER_PARTITION * PER_BATCH;
    const r = await javaConsume('limits', `g-${restart ? 'objects' : 'tail'}`, records);
    expect(r.consumed).toBe(records);
    expect(r.fetchSizeMax).toBeLessThanOrEqual(PARTITION_MAX);
    expect(r.fetchSizeMax).toBeGreaterThan(PARTITION_MAX / 2);
  }, 120_000);
});
