// A real `stratus dev` under attack by slow and greedy clients, while a well-behaved
// kafkajs client on its own connections keeps producing and consuming:
//
//   (a) 8 connections announce ~100 MiB frames (just under socket.request.max.bytes) and
//       trickle one byte a second — more than the request budget's share for large frames;
//   (b) 50 slow connections: 20 trickle a Metadata request a byte a second, 15 send half
//       of a 1 MiB frame and stop, 15 pipeline Fetches of a large topic and never read.
//
// Attackers reconnect whenever the broker closes them, so the attack lasts throughout.
// The good client's p99 latency (produce round trip, and produce-to-consume) must stay
// under 1 s, and a brand-new client must connect (ApiVersions + Metadata) during the
// attack. Timeouts are shortened with STRATUS_* variables so the test runs in ~40 s.

import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient } from '../compat/support/kafkajs.ts';
import { StratusProcess } from '../support/stratus-process.ts';
import { Attack } from './support/attackers.ts';
import { Latencies } from './support/latency.ts';

const MiB = 1024 * 1024;
const ATTACK_MS = 15_000;
const WARMUP_MS = 2_000;
const PRODUCE_EVERY_MS = 50;
const GOOD = 'hostile-good';
const BULK = 'hostile-bulk';

let stratus: StratusProcess | undefined;

beforeAll(async () => {
  stratus = await StratusProcess.start({
    env: {
      STRATUS_KAFKA_REQUEST_RECEIVE_TIMEOUT: '4s',
      STRATUS_KAFKA_RESPONSE_STALL_TIMEOUT: '4s',
      STRATUS_KAFKA_CONNECTIONS_MAX_IDLE: '6s',
    },
  });
});

afterAll(async () => {
  await stratus?.stop();
  stratus?.removeData();
});

/** The broker's /metrics as name{labels} → value. */
async function scrape(httpPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

/** A client that was never connected: ApiVersions, then Metadata of the good topic. */
async function newClientConnects(bootstrap: string, n: number): Promise<number> {
  const started = performance.now();
  const admin = kafkaClient(bootstrap, `hostile-newcomer-${n}`).admin();
  await admin.connect();
  const metadata = await admin.fetchTopicMetadata({ topics: [GOOD] });
  const ms = performance.now() - started;
  await admin.disconnect();
  expect(metadata.topics[0]?.partitions).toHaveLength(1);
  return ms;
}

describe('slow and greedy clients against a real stratus dev', () => {
  it('a well-behaved client keeps its p99 under 1 s and new clients connect while 58 hostile connections attack', async () => {
    const p = stratus!;
    const kafka = kafkaClient(p.bootstrap, 'hostile-good');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: GOOD }, { topic: BULK }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    // Something large for the non-readers to fetch: 24 MiB, in batches under max.message.bytes.
    for (let i = 0; i < 32; i++) await producer.send({ topic: BULK, messages: Array.from({ length: 4 }, () => ({ value: Buffer.alloc(192 * 1024, i) })) });

    const produce = new Latencies();
    const endToEnd = new Latencies();
    let phase = 'warmup';
    let consumed = 0;
    const consumer = kafka.consumer({ groupId: 'hostile-good', maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: GOOD, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const [sentPhase, sentAt] = (message.value?.toString() ?? '').split(' ');
        endToEnd.add(sentPhase!, Date.now() - Number(sentAt));
        consumed++;
      },
    });

    let producing = true;
    const producerLoop = (async () => {
      while (producing) {
        const sentPhase = phase;
        const started = performance.now();
        await producer.send({ topic: GOOD, messages: [{ value: `${sentPhase} ${Date.now()}` }] });
        produce.add(sentPhase, performance.now() - started);
        await delay(PRODUCE_EVERY_MS);
      }
    })();
    // The consumer has joined its group and reads what is produced now.
    const deadline = Date.now() + 30_000;
    while (consumed === 0 && Date.now() < deadline) await delay(50);
    expect(consumed).toBeGreaterThan(0);
    phase = 'steady';
    await delay(WARMUP_MS);

    phase = 'attack';
    const attackStarted = Date.now();
    const attacks = [
      new Attack({ port: p.kafkaPort, kind: 'bigFrame', connections: 8 }),
      new Attack({ port: p.kafkaPort, kind: 'trickle', connections: 20 }),
      new Attack({ port: p.kafkaPort, kind: 'halfSent', connections: 15 }),
      new Attack({ port: p.kafkaPort, kind: 'nonReader', connections: 15, fetchTopic: BULK }),
    ];
    const newcomers: number[] = [];
    let budgetAtPeak: Map<string, number> | undefined;
    for (const at of [2_000, 6_000, 10_000, 14_000]) {
      await delay(Math.max(0, attackStarted + at - Date.now()));
      const metrics = await scrape(p.httpPort);
      if ((metrics.get('stratus_kafka_budget_used_bytes{budget="request"}') ?? 0) > (budgetAtPeak?.get('stratus_kafka_budget_used_bytes{budget="request"}') ?? 0)) {
        budgetAtPeak = metrics;
      }
      newcomers.push(await newClientConnects(p.bootstrap, at));
    }
    await delay(Math.max(0, attackStarted + ATTACK_MS - Date.now()));
    phase = 'after';
    for (const a of attacks) a.stop();
    await delay(1_000);
    producing = false;
    await producerLoop;
    const closed = await scrape(p.httpPort);
    await consumer.disconnect();
    await producer.disconnect();

    console.log(
      [
        `good client, produce round trip — steady: ${produce.summary('steady')}`,
        `good client, produce round trip — attack: ${produce.summary('attack')}`,
        `good client, produce to consume — steady: ${endToEnd.summary('steady')}`,
        `good client, produce to consume — attack: ${endToEnd.summary('attack')}`,
        `new clients (ApiVersions + Metadata) during the attack: ${newcomers.map((ms) => `${ms.toFixed(1)} ms`).join(', ')}`,
        `attackers: ${attacks.map((a) => `${a.connects} connects, ${a.closedByBroker} closed by the broker`).join('; ')}`,
        `request budget at its peak: ${((budgetAtPeak?.get('stratus_kafka_budget_used_bytes{budget="request"}') ?? 0) / MiB).toFixed(0)} MiB held, ${budgetAtPeak?.get('stratus_kafka_budget_waiting{budget="request"}')} waiting`,
        `closed by the broker: ${['receive_timeout', 'response_stall', 'idle', 'refused_per_ip'].map((r) => `${r} ${closed.get(`stratus_kafka_connections_closed{reason="${r}"}`)}`).join(', ')}`,
      ].join('\n'),
    );

    // The attack was real: large frames held the large share and more waited, and the broker
    // closed slow senders and non-readers (who came back).
    expect(budgetAtPeak?.get('stratus_kafka_budget_used_bytes{budget="request"}')).toBeGreaterThanOrEqual(4 * 100 * MiB - 4 * 64);
    expect(budgetAtPeak?.get('stratus_kafka_budget_waiting{budget="request"}')).toBeGreaterThanOrEqual(1);
    expect(closed.get('stratus_kafka_connections_closed{reason="receive_timeout"}')).toBeGreaterThanOrEqual(8 + 15);
    expect(closed.get('stratus_kafka_connections_closed{reason="response_stall"}')).toBeGreaterThanOrEqual(15);
    // The good client was served throughout.
    expect(produce.count('attack')).toBeGreaterThanOrEqual((ATTACK_MS / (PRODUCE_EVERY_MS + 20)) * 0.5);
    expect(produce.percentile('attack', 99)).toBeLessThan(1_000);
    expect(endToEnd.count('attack')).toBeGreaterThanOrEqual(produce.count('attack') - 5);
    expect(endToEnd.percentile('attack', 99)).toBeLessThan(1_000);
    expect(newcomers).toHaveLength(4);
    for (const ms of newcomers) expect(ms).toBeLessThan(1_000);
  }, 120_000);
});
