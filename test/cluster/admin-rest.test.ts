// The admin REST API as an operator's script uses it: real HTTP (fetch) against the
// controllers of a real cluster (2 controllers, 3 brokers; startCluster, free ports), every
// endpoint called and its JSON checked against the cluster itself — Kafka clients
// (kafkajs) create the topics and groups and read back what the API changed (topic
// metadata and configs, committed offsets, leaders) — not against the API's own word.
// Also: writes without a token, with a wrong one, and on a controller without one; bad
// bodies naming the field; the body limit; a standby's 503; and the OpenAPI document
// listing every route, with every documented route called here (the coverage check at
// the end), and every successful answer parsed with its route's response schema, the one
// the document shows. Compaction is off so that the extents the timestamp reset looks at stay the
// ones the test wrote.

import type { Admin, Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminApi } from '@stratus/cli';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import type { StratusNode } from './lib/stratus-node.ts';
import { kafkaClient } from './lib/kafka-clients.ts';

const TOKEN = 'rest-test-token-8f3a9c2e71';
const MAX_BODY = 4096;
const LAG_TOPIC = 'rest-lag';
const GROUP = 'rest-group';
const LIVE_GROUP = 'rest-live';
const PHASE1 = 10; // records per partition written before `midTimestamp`
const PHASE2 = 5; // and after

let cluster: Cluster;
let admin: Admin;
let active: StratusNode;
let standby: StratusNode;
let midTimestamp: number;
/** "METHOD /api/v1/template" of every call made, to check that every documented route was called. */
const called = new Set<string>();
/** The server's routes, for their response schemas: every successful answer must parse with its route's. */
const routes = createAdminApi({ controller: () => undefined, role: () => ({ role: 'standby', activeController: null }), apiToken: undefined, maxBodyBytes: 1024, requestTimeoutMs: 1000 }).routes;

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

interface CallOptions {
  readonly params?: Record<string, string | number>;
  readonly body?: unknown;
  /** Raw body text (sent as is). */
  readonly raw?: string;
  readonly contentType?: string;
  /** Defaults to the right token for writes; null sends none. */
  readonly token?: string | null;
  readonly node?: StratusNode;
}

async function call(method: string, template: string, o: CallOptions = {}): Promise<Answer> {
  called.add(`${method} /api/v1${template}`);
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(o.params?.[name])));
  const token = o.token === undefined ? (method === 'GET' ? null : TOKEN) : o.token;
  const headers: Record<string, string> = {};
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  const body = o.raw ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
  if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
  const res = await fetch(`http://127.0.0.1:${(o.node ?? active).spec.httpPort}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: ${res.status}, not JSON: ${text}`);
  }
  const route = routes.find((r) => r.method === method && r.path === `/api/v1${template}`);
  if (res.status < 300 && route !== undefined) {
    const checked = route.response.safeParse(json);
    if (!checked.success) throw new Error(`${method} ${path}: the answer is not what the document says: ${JSON.stringify(checked.error.issues)}\n${text}`);
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', headers: res.headers, json };
}

function expectProblem(a: Answer, status: number, kind: string): void {
  expect(a.contentType).toBe('application/problem+json');
  expect(a.json).toMatchObject({ type: `urn:stratus:problem:${kind}`, status });
  expect(a.status).toBe(status);
  expect(typeof a.json.title).toBe('string');
  expect(typeof a.json.detail).toBe('string');
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the controller's committed end offsets of `topic` sum to `records` (the brokers uploaded them). */
async function uploaded(topic: string, records: number): Promise<void> {
  await until(`${records} records of ${topic} committed`, async () => {
    const d = await call('GET', '/topics/{topic}', { params: { topic } });
    const sum = (d.json.partitions as { endOffset: number }[]).reduce((s, p) => s + p.endOffset, 0);
    return sum === records ? true : undefined;
  });
}

const leaders = async (topic: string): Promise<Map<number, number>> => new Map((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.map((p) => [p.partitionId, p.leader]));

async function committed(group: string, topic: string): Promise<Map<number, number>> {
  const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return new Map(t!.partitions.map((p) => [p.partition, Number(p.offset)]));
}

beforeAll(async () => {
  cluster = await startCluster({ controllerEnv: { STRATUS_ADMIN_API_TOKEN: TOKEN, STRATUS_ADMIN_MAX_BODY_BYTES: String(MAX_BODY), STRATUS_COMPACTION_ENABLED: 'false' } });
  active = (await cluster.activeController())!;
  standby = cluster.controllers.find((c) => c !== active)!;
  admin = kafkaClient(cluster.bootstrapList, 'rest-test').kafka.admin();
  await admin.connect();
  // A topic with records written in two phases, uploaded apart (so in different extents), and a group's offsets.
  await admin.createTopics({ topics: [{ topic: LAG_TOPIC, numPartitions: 3 }], waitForLeaders: true });
  const producer = kafkaClient(cluster.bootstrapList, 'rest-producer').kafka.producer();
  await producer.connect();
  const send = (n: number, tag: string) =>
    producer.send({ topic: LAG_TOPIC, messages: [0, 1, 2].flatMap((partition) => Array.from({ length: n }, (_, i) => ({ partition, value: `${tag}-${partition}-${i}` }))) });
  await send(PHASE1, 'a');
  await uploaded(LAG_TOPIC, 3 * PHASE1);
  await new Promise((r) => setTimeout(r, 20));
  midTimestamp = Date.now();
  await new Promise((r) => setTimeout(r, 20));
  await send(PHASE2, 'b');
  await uploaded(LAG_TOPIC, 3 * (PHASE1 + PHASE2));
  await producer.disconnect();
  await admin.setOffsets({ groupId: GROUP, topic: LAG_TOPIC, partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '7' }, { partition: 2, offset: '15' }] });
}, 120_000);

afterAll(async () => {
  await admin?.disconnect();
  await cluster?.stop();
}, 60_000);

describe('admin REST API against a cluster', () => {
  it('health on the active controller; a standby answers health and the document, and 503 naming the active one for the rest', async () => {
    const h = await call('GET', '/health');
    expect(h.status).toBe(200);
    expect(h.contentType).toBe('application/json');
    expect(h.json).toMatchObject({ status: 'ok', problems: [], role: 'active', brokers: { registered: 3, live: 3, fenced: 0, draining: 0 }, partitionsWithoutLeader: 0 });
    const activeGrpc = `127.0.0.1:${active.spec.env['STRATUS_GRPC_PORT']}`;
    expect(h.json.activeController).toBe(activeGrpc);

    const sh = await call('GET', '/health', { node: standby });
    expect(sh.status).toBe(200);
    expect(sh.json).toEqual({ status: 'standby', problems: [], role: 'standby', activeController: activeGrpc });
    const st = await call('GET', '/topics', { node: standby });
    expectProblem(st, 503, 'not-active-controller');
    expect(st.json.activeController).toBe(activeGrpc);
    expect(st.headers.get('retry-after')).toBe('1');
    expect((await call('GET', '/openapi.json', { node: standby })).status).toBe(200);
  });

  it('lists the brokers as they registered', async () => {
    const b = await call('GET', '/brokers');
    expect(b.status).toBe(200);
    expect(b.json.brokers.map((x: { nodeId: number }) => x.nodeId)).toEqual(cluster.brokers.map((x) => x.nodeId).sort((p, q) => p - q));
    for (const node of cluster.brokers) {
      const got = b.json.brokers.find((x: { nodeId: number }) => x.nodeId === node.nodeId);
      expect(got).toMatchObject({ host: '127.0.0.1', port: node.kafkaPort, rack: node.rack, fenced: false, draining: false, drainReason: null, suspected: false });
    }
    const led = b.json.brokers.reduce((s: number, x: { partitionsLed: number }) => s + x.partitionsLed, 0);
    const meta = await admin.fetchTopicMetadata();
    expect(led).toBe(meta.topics.reduce((s, t) => s + t.partitions.length, 0));
  });

  it('creates, describes, lists, reconfigures and deletes a topic, as Kafka clients then see it', async () => {
    const created = await call('POST', '/topics', { body: { name: 'rest-created', partitions: 4, configs: { 'retention.ms': '3600000' } } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/topics/rest-created');
    expect(created.json.partitions).toHaveLength(4);
    // The brokers learn of the topic from the controller's watch: shortly after.
    const meta = await until('the brokers know rest-created', async () => {
      try {
        return (await admin.fetchTopicMetadata({ topics: ['rest-created'] })).topics[0];
      } catch {
        return undefined;
      }
    });
    expect(created.json.topicId).toBeTypeOf('string');
    const kafkaLeaders = new Map(meta.partitions.map((p) => [p.partitionId, p.leader]));
    for (const p of created.json.partitions) expect(p).toMatchObject({ leader: kafkaLeaders.get(p.partition), logStartOffset: 0, endOffset: 0, movingTo: null });

    const again = await call('POST', '/topics', { body: { name: 'rest-created', partitions: 1 } });
    expectProblem(again, 409, 'conflict');
    expect(again.json.kafkaError).toBe('TOPIC_ALREADY_EXISTS');
    const validated = await call('POST', '/topics', { body: { name: 'rest-validated', validateOnly: true } });
    expect(validated.status).toBe(200);
    expect(validated.json).toEqual({ name: 'rest-validated', validateOnly: true, created: false });
    expect((await admin.listTopics()).includes('rest-validated')).toBe(false);

    const list = await call('GET', '/topics');
    expect(list.json.topics.find((t: { name: string }) => t.name === 'rest-created')).toEqual({ name: 'rest-created', topicId: created.json.topicId, partitions: 4, internal: false, configs: { 'retention.ms': '3600000' } });
    expect(list.json.topics.map((t: { name: string }) => t.name).sort()).toEqual((await admin.listTopics()).sort());

    const d = await call('GET', '/topics/{topic}', { params: { topic: 'rest-created' } });
    expect(d.json.configs.find((c: { name: string }) => c.name === 'retention.ms')).toMatchObject({ value: '3600000', source: 'topic' });
    expect(d.json.configs.find((c: { name: string }) => c.name === 'cleanup.policy')).toMatchObject({ value: 'delete', source: 'default' });

    const patched = await call('PATCH', '/topics/{topic}/configs', { params: { topic: 'rest-created' }, body: { configs: { 'retention.ms': '7200000', 'max.message.bytes': '2000000' } } });
    expect(patched.status).toBe(200);
    const describe = async (): Promise<Map<string, string>> => {
      const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'rest-created' }] });
      return new Map(r.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    };
    expect((await describe()).get('retention.ms')).toBe('7200000');
    expect((await describe()).get('max.message.bytes')).toBe('2000000');
    expect(patched.json.configs.find((c: { name: string }) => c.name === 'max.message.bytes')).toMatchObject({ value: '2000000', source: 'topic' });
    const removed = await call('PATCH', '/topics/{topic}/configs', { params: { topic: 'rest-created' }, body: { configs: { 'max.message.bytes': null } } });
    expect(removed.json.configs.find((c: { name: string }) => c.name === 'max.message.bytes')).toMatchObject({ source: 'default' });
    expect((await describe()).get('retention.ms')).toBe('7200000');
    const unknown = await call('PATCH', '/topics/{topic}/configs', { params: { topic: 'rest-created' }, body: { configs: { 'no.such.config': '1' } } });
    expectProblem(unknown, 400, 'bad-request');
    expect(unknown.json.detail).toContain('no.such.config');

    const deleted = await call('DELETE', '/topics/{topic}', { params: { topic: 'rest-created' } });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ name: 'rest-created', topicId: created.json.topicId, deleted: true });
    expect(await admin.listTopics()).not.toContain('rest-created');
    expectProblem(await call('GET', '/topics/{topic}', { params: { topic: 'rest-created' } }), 404, 'not-found');
    expectProblem(await call('DELETE', '/topics/{topic}', { params: { topic: 'rest-created' } }), 404, 'not-found');
  });

  it('lists groups and describes one with its lag per partition', async () => {
    const g = await call('GET', '/groups');
    expect(g.json.groups.find((x: { group: string }) => x.group === GROUP)).toMatchObject({ group: GROUP, state: 'empty', committedOffsets: 3, coordinatorsWithMembers: [] });
    const d = await call('GET', '/groups/{group}', { params: { group: GROUP } });
    expect(d.status).toBe(200);
    const offsets = await committed(GROUP, LAG_TOPIC);
    const ends = new Map((await admin.fetchTopicOffsets(LAG_TOPIC)).map((p) => [p.partition, Number(p.high)]));
    expect(d.json.partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2]);
    for (const p of d.json.partitions) {
      expect(p).toMatchObject({ topic: LAG_TOPIC, committedOffset: offsets.get(p.partition), endOffset: ends.get(p.partition), logStartOffset: 0 });
      expect(p.lag).toBe(ends.get(p.partition)! - offsets.get(p.partition)!);
    }
    expect(d.json.totalLag).toBe(3 * (PHASE1 + PHASE2) - (3 + 7 + 15));
    expectProblem(await call('GET', '/groups/{group}', { params: { group: 'no-such-group' } }), 404, 'not-found');
  });

  it('resets a group\'s offsets: dry run first, then earliest, latest, an offset and a timestamp, as the group then fetches them', async () => {
    const before = await committed(GROUP, LAG_TOPIC);
    const dry = await call('POST', '/groups/{group}/reset-offsets', { params: { group: GROUP }, body: { topic: LAG_TOPIC, target: { to: 'earliest' } } });
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ group: GROUP, dryRun: true, executed: false });
    expect(dry.json.partitions.map((p: { currentOffset: number; newOffset: number }) => [p.currentOffset, p.newOffset])).toEqual([[3, 0], [7, 0], [15, 0]]);
    expect(await committed(GROUP, LAG_TOPIC)).toEqual(before);

    const reset = async (body: object) => call('POST', '/groups/{group}/reset-offsets', { params: { group: GROUP }, body: { ...body, dryRun: false } });
    const latest = await reset({ topic: LAG_TOPIC, target: { to: 'latest' } });
    expect(latest.json.executed).toBe(true);
    const end = PHASE1 + PHASE2;
    expect([...(await committed(GROUP, LAG_TOPIC)).entries()]).toEqual([[0, end], [1, end], [2, end]]);
    expect((await call('GET', '/groups/{group}', { params: { group: GROUP } })).json.totalLag).toBe(0);

    await reset({ topic: LAG_TOPIC, partitions: [1], target: { to: 'offset', offset: 4 } });
    expect([...(await committed(GROUP, LAG_TOPIC)).entries()]).toEqual([[0, end], [1, 4], [2, end]]);
    // Beyond the end: clamped to it.
    const clamped = await reset({ topic: LAG_TOPIC, partitions: [1], target: { to: 'offset', offset: 1_000_000 } });
    expect(clamped.json.partitions).toEqual([{ topic: LAG_TOPIC, partition: 1, currentOffset: 4, newOffset: end, logStartOffset: 0, endOffset: end }]);

    // No topic: every partition the group has offsets for. The second phase starts its own extent.
    const byTime = await reset({ target: { to: 'timestamp', timestamp: midTimestamp } });
    expect(byTime.json.partitions.map((p: { newOffset: number }) => p.newOffset)).toEqual([PHASE1, PHASE1, PHASE1]);
    expect([...(await committed(GROUP, LAG_TOPIC)).values()]).toEqual([PHASE1, PHASE1, PHASE1]);
    const future = await reset({ target: { to: 'timestamp', timestamp: Date.now() + 3_600_000 } });
    expect(future.json.partitions.map((p: { newOffset: number }) => p.newOffset)).toEqual([end, end, end]);
    const earliest = await reset({ target: { to: 'earliest' } });
    expect(earliest.json.partitions.map((p: { newOffset: number }) => p.newOffset)).toEqual([0, 0, 0]);
    expect([...(await committed(GROUP, LAG_TOPIC)).values()]).toEqual([0, 0, 0]);
  });

  it('refuses to reset a group that has members (409) and resets it once they left', async () => {
    const consumer: Consumer = kafkaClient(cluster.bootstrapList, 'rest-consumer').kafka.consumer({ groupId: LIVE_GROUP, sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: LAG_TOPIC, fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    await until('the consumer read everything', async () => (seen >= 3 * (PHASE1 + PHASE2) ? true : undefined));
    const listed = await until('the live group listed with members', async () => {
      const g = (await call('GET', '/groups')).json.groups.find((x: { group: string }) => x.group === LIVE_GROUP);
      return g?.state === 'has-members' ? g : undefined;
    });
    expect(listed.coordinatorsWithMembers).toHaveLength(1);
    const refused = await call('POST', '/groups/{group}/reset-offsets', { params: { group: LIVE_GROUP }, body: { topic: LAG_TOPIC, target: { to: 'earliest' }, dryRun: false } });
    expectProblem(refused, 409, 'conflict');
    expect(refused.json.detail).toContain('stop its consumers');
    // A dry run is fine while it has members.
    expect((await call('POST', '/groups/{group}/reset-offsets', { params: { group: LIVE_GROUP }, body: { topic: LAG_TOPIC, target: { to: 'earliest' } } })).status).toBe(200);
    await consumer.disconnect();
    await until('the live group empty', async () => ((await call('GET', '/groups/{group}', { params: { group: LIVE_GROUP } })).json.state === 'empty' ? true : undefined));
    const ok = await call('POST', '/groups/{group}/reset-offsets', { params: { group: LIVE_GROUP }, body: { topic: LAG_TOPIC, target: { to: 'earliest' }, dryRun: false } });
    expect(ok.json.executed).toBe(true);
    expect([...(await committed(LIVE_GROUP, LAG_TOPIC)).values()]).toEqual([0, 0, 0]);
  });

  it('drains a broker until it leads nothing, and undrains it', async () => {
    const id = cluster.brokers[1]!.nodeId;
    const d = await call('POST', '/brokers/{nodeId}/drain', { params: { nodeId: id } });
    expect(d.status).toBe(200);
    expect(d.json).toMatchObject({ nodeId: id, draining: true, drainReason: 'operator' });
    await until('the drained broker leads nothing', async () => {
      const b = (await call('GET', '/brokers')).json.brokers.find((x: { nodeId: number }) => x.nodeId === id);
      return b.partitionsLed === 0 && b.draining === true ? true : undefined;
    });
    expect([...(await leaders(LAG_TOPIC)).values()]).not.toContain(id);
    expect((await call('GET', '/health')).json.brokers.draining).toBe(1);
    const u = await call('POST', '/brokers/{nodeId}/undrain', { params: { nodeId: id } });
    expect(u.json).toEqual({ nodeId: id, draining: false, drainReason: null, partitionsToMove: 0 });
    await until('the undrained broker leads again', async () => ([...(await leaders(LAG_TOPIC)).values()].includes(id) ? true : undefined));
    expectProblem(await call('POST', '/brokers/{nodeId}/drain', { params: { nodeId: 99 } }), 404, 'not-found');
    const bad = await call('POST', '/brokers/{nodeId}/drain', { params: { nodeId: 'abc' } });
    expectProblem(bad, 400, 'bad-request');
    expect(bad.json.errors[0].path).toBe('nodeId');
  });

  it('rebalances leadership in waves of at most maxConcurrentMoves, as Kafka metadata then shows', async () => {
    await admin.createTopics({ topics: [{ topic: 'rest-moves', numPartitions: 6 }], waitForLeaders: true });
    await until('no moves under way', async () => ((await call('GET', '/health')).json.movesUnderWay === 0 ? true : undefined));
    const now = await leaders('rest-moves');
    // Two swaps between pairs of brokers: leadership stays even, so the controller's own balancing leaves the result alone.
    const [a, b, c] = cluster.brokers.map((x) => x.nodeId);
    const on = (broker: number): number[] => [...now].filter(([, l]) => l === broker).map(([p]) => p);
    const moves = [
      { topic: 'rest-moves', partition: on(a!)[0]!, to: b },
      { topic: 'rest-moves', partition: on(b!)[0]!, to: a },
      { topic: 'rest-moves', partition: on(b!)[1]!, to: c },
      { topic: 'rest-moves', partition: on(c!)[0]!, to: b },
    ];
    const plan = await call('POST', '/rebalance', { body: { moves, maxConcurrentMoves: 2, dryRun: true } });
    expect(plan.status).toBe(200);
    expect(plan.json.moves).toEqual(moves.map((m) => ({ ...m, from: now.get(m.partition) })));
    expect(await leaders('rest-moves')).toEqual(now);

    const started = await call('POST', '/rebalance', { body: { moves, maxConcurrentMoves: 2 } });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe('/api/v1/rebalance');
    expect(started.json).toMatchObject({ state: 'running', maxConcurrentMoves: 2 });
    expectProblem(await call('POST', '/rebalance', { body: { moves } }), 409, 'conflict');
    let mostMoving = 0;
    let mostUnderWay = 0;
    const finished = await until('the rebalance finished', async () => {
      const [r, h] = await Promise.all([call('GET', '/rebalance'), call('GET', '/health')]);
      mostMoving = Math.max(mostMoving, r.json.counts.moving);
      mostUnderWay = Math.max(mostUnderWay, h.json.movesUnderWay);
      return r.json.state === 'running' ? undefined : r.json;
    }, 60_000);
    expect(finished).toMatchObject({ state: 'finished', counts: { pending: 0, moving: 0, done: 4, failed: 0 } });
    expect(mostMoving).toBeLessThanOrEqual(2);
    expect(mostUnderWay).toBeLessThanOrEqual(2);
    // Two waves: the second started only once both moves of the first had ended.
    const times = finished.moves as { startedAtMs: number; endedAtMs: number }[];
    const firstWaveEnd = Math.max(times[0]!.endedAtMs, times[1]!.endedAtMs);
    expect(Math.min(times[2]!.startedAtMs, times[3]!.startedAtMs)).toBeGreaterThanOrEqual(firstWaveEnd);
    for (const t of times) expect(t.endedAtMs).toBeGreaterThanOrEqual(t.startedAtMs);
    const after = await leaders('rest-moves');
    for (const m of moves) expect(after.get(m.partition)).toBe(m.to);

    const bad = await call('POST', '/rebalance', { body: { moves: [{ topic: 'no-such-topic', partition: 0, to: a }, { topic: 'rest-moves', partition: 0, to: 99 }] } });
    expectProblem(bad, 400, 'bad-request');
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual(['moves.0.topic', 'moves.1.to']);
  });

  it('summarizes the controller\'s metrics', async () => {
    const m = await call('GET', '/metrics/summary');
    expect(m.status).toBe(200);
    const topics = await admin.listTopics();
    expect(m.json.controller).toMatchObject({ topics: topics.length });
    expect(m.json.cluster).toMatchObject({ brokers: 3, brokersFencedNow: 0 });
    expect(m.json.cluster.movesCompleted).toBeGreaterThanOrEqual(4);
    expect(m.json.maintenance.index.extents).toBeGreaterThan(0);
    expect(m.json.process.rssBytes).toBeGreaterThan(0);
  });

  it('guards writes: 401 without or with a wrong token, 400 naming the field, 413 over the limit, 415 not JSON, 404/405', async () => {
    const none = await call('POST', '/topics', { body: { name: 'rest-x' }, token: null });
    expectProblem(none, 401, 'unauthorized');
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expectProblem(await call('POST', '/topics', { body: { name: 'rest-x' }, token: 'wrong-token-wrong-token' }), 401, 'unauthorized');
    expectProblem(await call('DELETE', '/topics/{topic}', { params: { topic: LAG_TOPIC }, token: 'x' }), 401, 'unauthorized');
    expect(await admin.listTopics()).toContain(LAG_TOPIC);

    const bad = await call('POST', '/topics', { body: { name: 'rest-x', partitions: 'three', extra: 1 } });
    expectProblem(bad, 400, 'bad-request');
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual(['partitions', '(body)']);
    expect(bad.json.detail).toContain('partitions');
    expect(bad.json.detail).toContain('extra');
    const target = await call('POST', '/groups/{group}/reset-offsets', { params: { group: GROUP }, body: { target: { to: 'sideways' } } });
    expectProblem(target, 400, 'bad-request');
    expect(target.json.errors[0].path).toBe('target.to');
    const needsTopic = await call('POST', '/groups/{group}/reset-offsets', { params: { group: GROUP }, body: { partitions: [0], target: { to: 'earliest' } } });
    expect(needsTopic.json.errors).toEqual([{ path: 'partitions', message: 'partitions needs topic' }]);
    expectProblem(await call('POST', '/topics', { raw: '{"name": ' }), 400, 'bad-request');
    expectProblem(await call('POST', '/topics', { raw: 'name=x', contentType: 'application/x-www-form-urlencoded' }), 415, 'unsupported-media-type');
    expectProblem(await call('POST', '/topics', { body: { name: 'rest-x', configs: { big: 'x'.repeat(MAX_BODY) } } }), 413, 'payload-too-large');
    expect(await admin.listTopics()).not.toContain('rest-x');

    expectProblem(await call('GET', '/nothing-here'), 404, 'not-found');
    const wrongMethod = await call('PUT', '/topics', { body: {} });
    expectProblem(wrongMethod, 405, 'method-not-allowed');
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
  });

  it('serves an OpenAPI 3.1 document listing every route, and every route was called above', async () => {
    const doc = await call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.json.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.length).toBeGreaterThanOrEqual(16);
    const notCalled = documented.filter((r) => !called.has(r));
    expect(notCalled).toEqual([]);
  });
});
