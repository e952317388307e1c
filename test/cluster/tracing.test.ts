// Traces reach an OTLP collector (issue 12 §2, §7): a cluster of real processes (Redis,
// MinIO, one controller, one broker) with tracing.otlpEndpoint pointed at a receiver this
// test starts (lib/otlp-receiver.ts decodes the protobuf bodies). kafkajs produces; the
// spans must arrive with their names, attributes and parent links — produce → batch →
// validate/append in the broker, upload → PUT → commit → the controller RPC's client span
// in the broker → its server span in the controller (same trace id: the W3C context went
// over gRPC metadata), and a cache miss's GET when a consumer reads uploaded data.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { kafkaClient } from './lib/kafka-clients.ts';
import { OtlpReceiver, SPAN_KIND } from './lib/otlp-receiver.ts';
import type { ReceivedSpan } from './lib/otlp-receiver.ts';

let cluster: Cluster;
let receiver: OtlpReceiver;

const COMMIT_RPC = 'stratus.controller.v1.ControllerService/CommitObject';

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  const tracing = {
    STRATUS_TRACING_OTLP_ENDPOINT: receiver.endpoint,
    // The SDK's batch processor sends every 200 ms instead of 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  cluster = await startCluster({
    brokers: 1,
    controllers: 1,
    controllerEnv: tracing,
    // No tail cache: a read of uploaded data goes through the block cache, which misses and GETs.
    brokerEnv: { ...tracing, STRATUS_TRACING_SERVICE_NAME: 'broker-under-test', STRATUS_STORAGE_TAIL_BYTES: '0' },
  });
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
  await receiver?.close();
}, 60_000);

const byId = (spans: readonly ReceivedSpan[]): Map<string, ReceivedSpan> => new Map(spans.map((s) => [s.spanId, s]));

describe('tracing to an OTLP receiver', () => {
  it('exports produce, upload and controller RPC spans with their parent links across the gRPC hop, and a cache miss GET', async () => {
    const { kafka } = kafkaClient(cluster.bootstrapList, 'traced-client');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'traced', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // Two batches of 5 records, one per partition, in one request.
    await producer.send({ topic: 'traced', acks: -1, messages: [...Array(10).keys()].map((i) => ({ partition: i % 2, value: `value-${i}` })) });
    await producer.disconnect();

    // Produce: the request's span, one span per partition batch (not per record), and their phases.
    await receiver.waitFor((spans) => spans.some((s) => s.name === 'produce.append'), 20_000, 'produce spans');
    const spans = receiver.spans;
    const produce = spans.find((s) => s.name === 'produce' && s.attributes['kafka.client_id'] === 'traced-client');
    expect(produce).toBeDefined();
    expect(produce!.service).toBe('broker-under-test');
    expect(produce!.kind).toBe(SPAN_KIND.server);
    expect(produce!.attributes['kafka.acks']).toBe(-1);
    expect(typeof produce!.attributes['kafka.connection_id']).toBe('number');
    expect(typeof produce!.attributes['kafka.correlation_id']).toBe('number');
    const batches = spans.filter((s) => s.name === 'produce.batch' && s.parentSpanId === produce!.spanId);
    expect(batches.map((b) => b.attributes['messaging.destination.partition.id']).sort()).toEqual(['0', '1']);
    for (const b of batches) {
      expect(b.traceId).toBe(produce!.traceId);
      expect(b.attributes['messaging.destination.name']).toBe('traced');
      expect(b.attributes['messaging.batch.message_count']).toBe(5);
      expect(b.attributes['messaging.message.body.size']).toBeGreaterThan(5 * 'value-0'.length);
      expect(b.attributes['kafka.error_code']).toBe(0);
      const phases = spans.filter((s) => s.parentSpanId === b.spanId).map((s) => s.name).sort();
      expect(phases).toEqual(['produce.append', 'produce.validate']);
    }
    // Nothing per record: 2 batches, 2 batch spans.
    expect(spans.filter((s) => s.name === 'produce.batch' && s.traceId === produce!.traceId)).toHaveLength(2);

    // Upload: PUT then commit, the commit's controller call a client span in the broker and
    // a server span in the controller, all in the upload's trace.
    await receiver.waitFor((s) => s.some((x) => x.name === COMMIT_RPC && x.kind === SPAN_KIND.server), 20_000, 'the controller side of a commit');
    const all = byId(receiver.spans);
    const server = receiver.spans.find((s) => s.name === COMMIT_RPC && s.kind === SPAN_KIND.server)!;
    expect(server.service).toBe('stratus-controller');
    expect(server.attributes['rpc.system']).toBe('grpc');
    const client = all.get(server.parentSpanId);
    expect(client, 'the server span\'s parent is the broker\'s client span').toBeDefined();
    expect(client!.name).toBe(COMMIT_RPC);
    expect(client!.kind).toBe(SPAN_KIND.client);
    expect(client!.service).toBe('broker-under-test');
    expect(client!.traceId).toBe(server.traceId);
    const commit = all.get(client!.parentSpanId)!;
    expect(commit.name).toBe('index.commit');
    const upload = all.get(commit.parentSpanId)!;
    expect(upload.name).toBe('upload');
    expect(upload.parentSpanId).toBe('');
    expect(upload.traceId).toBe(server.traceId);
    expect(upload.attributes['stratus.upload.entries']).toBeGreaterThanOrEqual(1);
    const put = receiver.spans.find((s) => s.name === 'objectstore.put' && s.parentSpanId === upload.spanId);
    expect(put?.attributes['stratus.object.bytes']).toBeGreaterThan(0);

    // A consumer reads the uploaded records: with no tail cache the block cache misses and GETs.
    const consumer = kafka.consumer({ groupId: 'traced-readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'traced', fromBeginning: true });
    let seen = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === 10) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();
    await receiver.waitFor((s) => s.some((x) => x.name === 'objectstore.get'), 20_000, 'a cache-miss GET span');
    const get = receiver.spans.find((s) => s.name === 'objectstore.get')!;
    expect(get.kind).toBe(SPAN_KIND.client);
    expect(get.attributes['stratus.range.bytes']).toBeGreaterThan(0);
    // It read an object an upload committed.
    const committedKeys = receiver.spans.filter((s) => s.name === 'index.commit').map((s) => s.attributes['stratus.object.key']);
    expect(committedKeys).toContain(get.attributes['stratus.object.key']);

    // Heartbeats (one a second) start no traces of their own.
    expect(receiver.spans.filter((s) => s.name.endsWith('/Heartbeat'))).toEqual([]);
  }, 90_000);
});
