// kafkajs against a broker whose remote controller is down (remote-world.ts: the gRPC
// server shut down, then served again on the same port). Everything below begins while
// the controller is away: the broker answers with its retriable errors
// (controller-failure.ts), kafkajs retries, nothing fails for good, the dispatcher closes
// no connection, and each operation completes once the controller is back.
// - First outage: an admin adding partitions and describing configs; the broker's first
//   idempotent producer connecting (InitProducerId: no producer-id block can be had) and
//   sending; a consumer group starting up (OffsetFetch) and committing.
// - Second outage: that producer, now with its id, writing to a partition the broker has
//   not opened (opening it needs the controller).
//
// kafkajs' createTopics is the exception: it wraps per-topic errors in an aggregate and
// retries none of them (its NOT_CONTROLLER branch never sees one), so the caller gets the
// retriable NOT_CONTROLLER at once and retries itself — as here.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Consumer, LogEntry, Producer } from 'kafkajs';
import { eventually } from '../data-path/support/world.ts';
import { RemoteControllerWorld } from './support/remote-world.ts';

/** How long the controller stays away: longer than the broker's 600 ms per call, well within kafkajs' retries below. */
const OUTAGE_MS = 2_000;
const RETRY = { retries: 12, initialRetryTime: 100, maxRetryTime: 1_000 };

let world: RemoteControllerWorld;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let consumer: Consumer;
/** What the clients logged with an error attached: the retriable errors they met. */
const logged: string[] = [];
/** The times of the current outage, from when the controller went away. */
let down = 0;

beforeAll(async () => {
  world = await RemoteControllerWorld.open();
  await world.createTopic('kjs-data', 1, { 'stratus.durability': 'local' });
  await world.createTopic('kjs-cold', 1, { 'stratus.durability': 'local' });
  await world.createTopic('kjs-grow', 1);
  await eventually(() => world.client.metadata().topics.some((t) => t.name === 'kjs-grow'), 'the broker sees the topics');
  const logCreator = () => (entry: { log: LogEntry['log'] }) => {
    const error = (entry.log as { error?: unknown }).error;
    if (error !== undefined) logged.push(String(error));
  };
  kafka = new Kafka({ clientId: 'controller-failure', brokers: [`127.0.0.1:${world.port}`], logLevel: logLevel.WARN, logCreator, retry: RETRY });
  // Three records on kjs-data while the controller is up (the partition opens here); a
  // plain producer, so the broker holds no producer-id block yet.
  const warmup = kafka.producer();
  await warmup.connect();
  await warmup.send({ topic: 'kjs-data', messages: [{ value: 'r0' }, { value: 'r1' }, { value: 'r2' }] });
  await warmup.disconnect();
  admin = kafka.admin();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  consumer = kafka.consumer({ groupId: 'kjs-group', retry: RETRY });
  await Promise.all([admin.connect(), consumer.connect()]);
});

afterAll(async () => {
  await Promise.allSettled([consumer?.disconnect(), producer?.disconnect(), admin?.disconnect()]);
  await world?.close();
});

/** Settles with the time it took since the outage began, or the error. */
function timed<T>(p: Promise<T>): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number }> {
  return p.then(
    (value) => ({ ok: true as const, value, ms: performance.now() - down }),
    (error: unknown) => ({ ok: false as const, error, ms: performance.now() - down }),
  );
}

/** Resolves 'pending' when none of `ps` has settled yet, else with the first that did. */
function stillPending(ps: Record<string, Promise<unknown>>): Promise<unknown> {
  return Promise.race([...Object.entries(ps).map(([name, p]) => p.then((r) => ({ [name]: r }))), new Promise((r) => setTimeout(() => r('pending'), 0))]);
}

async function outage(): Promise<void> {
  await world.stop();
  down = performance.now();
}

/** Ends the outage after OUTAGE_MS; returns how long it lasted. */
async function restore(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (performance.now() - down))));
  await world.start();
  return performance.now() - down;
}

describe('kafkajs while the controller is down', () => {
  it('an admin, a new idempotent producer and a consumer group retry and succeed once it is back', { timeout: 60_000 }, async () => {
    const w = world;
    const crashes: { error: string; restart: boolean }[] = [];
    consumer.on(consumer.events.CRASH, (e) => crashes.push({ error: String(e.payload.error), restart: e.payload.restart }));

    await outage();
    const grown = timed(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 2 }] }));
    const described = timed(admin.describeConfigs({ resources: [{ type: 2, name: 'kjs-data' }], includeSynonyms: false }));
    // Connecting asks for a producer id (InitProducerId): no block can be had.
    const sent = timed(producer.connect().then(() => producer.send({ topic: 'kjs-data', acks: -1, messages: [{ value: 'r3' }] })));
    const consumed: string[] = [];
    await consumer.subscribe({ topic: 'kjs-data', fromBeginning: true });
    await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void consumed.push(String(message.value))) });
    // kafkajs' createTopics gives the caller the retriable error at once.
    const refused = await admin.createTopics({ topics: [{ topic: 'kjs-new', numPartitions: 1 }] }).then(
      () => undefined,
      (e: unknown) => (e as { errors?: { type: string; retriable: boolean }[] }).errors?.map((x) => [x.type, x.retriable]),
    );
    expect(refused).toEqual([['NOT_CONTROLLER', true]]);

    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - 200));
    // Nothing that needs the controller has completed meanwhile, and nothing has failed.
    expect(await stillPending({ grown, described, sent })).toBe('pending');
    expect(consumed).toEqual([]);
    const back = await restore();

    const [g, d, s] = await Promise.all([grown, described, sent]);
    expect(g.ok, `createPartitions: ${g.ok ? '' : String(g.error)}`).toBe(true);
    expect(d.ok, `describeConfigs: ${d.ok ? '' : String(d.error)}`).toBe(true);
    expect(s.ok, `connect and send: ${s.ok ? '' : String(s.error)}`).toBe(true);
    expect(w.controller.metadata().topics.find((t) => t.name === 'kjs-grow')?.partitions).toHaveLength(2);
    if (d.ok) expect(d.value.resources[0]!.configEntries.some((e) => e.configName === 'stratus.durability' && e.configValue === 'local')).toBe(true);
    if (s.ok) expect(s.value[0]).toMatchObject({ topicName: 'kjs-data', partition: 0, errorCode: 0, baseOffset: '3' });
    // The caller's own retry of createTopics, now that the controller is back.
    await eventually(() => admin.createTopics({ topics: [{ topic: 'kjs-new', numPartitions: 1 }] }).then(() => true, () => false), 'createTopics', 10_000);
    expect(w.controller.metadata().topics.some((t) => t.name === 'kjs-new')).toBe(true);

    const dataId = w.controller.metadata().topics.find((t) => t.name === 'kjs-data')!.topicId;
    await eventually(async () => (await w.controller.fetchOffsets('kjs-group', null)).get(`${dataId}:0`)?.offset === 4, 'the group committed offset 4', 20_000);
    expect(consumed).toEqual(['r0', 'r1', 'r2', 'r3']);
    const committed = performance.now() - down;

    console.log(
      `controller down ${back.toFixed(0)} ms; after it was back: createPartitions done in ${(g.ms - back).toFixed(0)} ms, describeConfigs ${(d.ms - back).toFixed(0)} ms, a new idempotent producer's connect and send ${(s.ms - back).toFixed(0)} ms, the group's offsets committed ${(committed - back).toFixed(0)} ms`,
    );
    // The clients met the broker's retriable errors, not closed connections, and never gave
    // up. (The coordinator's membership reports, sent in the background, failed meanwhile:
    // reported, not answered to anyone.)
    expect(w.problems.filter((p) => !p.problem.startsWith('group coordinator:'))).toEqual([]);
    expect(crashes.filter((x) => !x.restart)).toEqual([]);
    for (const meant of [/not the correct controller/, /coordinator is loading/, /coordinator is not available/]) {
      expect(logged.some((e) => meant.test(e)), String(meant)).toBe(true);
    }
  });

  it('an idempotent producer writing to a partition the broker cannot open retries with its sequence and succeeds once it is back', { timeout: 60_000 }, async () => {
    const w = world;
    const before = logged.length;
    await outage();
    const sent = timed(producer.send({ topic: 'kjs-cold', acks: -1, messages: [{ value: 'c0' }, { value: 'c1' }] }));
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - 200));
    expect(await stillPending({ sent })).toBe('pending');
    const back = await restore();
    const s = await sent;
    expect(s.ok, `send: ${s.ok ? '' : String(s.error)}`).toBe(true);
    if (s.ok) expect(s.value[0]).toMatchObject({ topicName: 'kjs-cold', partition: 0, errorCode: 0, baseOffset: '0' });
    // The next batch continues the producer's sequence: the refused one left nothing behind.
    const next = await producer.send({ topic: 'kjs-cold', acks: -1, messages: [{ value: 'c2' }] });
    expect(next[0]).toMatchObject({ errorCode: 0, baseOffset: '2' });
    console.log(`controller down ${back.toFixed(0)} ms; the send to an unopened partition done ${(s.ms - back).toFixed(0)} ms after it was back`);
    expect(logged.slice(before).some((e) => /not the leader for that topic-partition/.test(e))).toBe(true);
    expect(w.problems.filter((p) => !p.problem.startsWith('group coordinator:'))).toEqual([]);
  });
});
