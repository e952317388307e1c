// `stratus dev` with tracing on (issue 12 §2): spans still queued when the process is
// stopped are exported before it exits — the batch processor is told to wait 10 minutes,
// so nothing leaves before the SIGTERM and everything the receiver gets is the stop's
// flush (dev has no gRPC hop: test/cluster/tracing.test.ts covers that) — and the real
// process changes its log level on SIGUSR2.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { StratusProcess } from '../support/stratus-process.ts';
import { OtlpReceiver, SPAN_KIND } from '../cluster/lib/otlp-receiver.ts';

let receiver: OtlpReceiver;
let dev: StratusProcess | undefined;

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  dev = await StratusProcess.start({ env: { STRATUS_TRACING_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '600000' } });
}, 60_000);

afterAll(async () => {
  await dev?.stop();
  dev?.removeData();
  await receiver?.close();
});

describe('stratus dev with tracing', () => {
  it('changes its log level on SIGUSR2', async () => {
    dev!.child.kill('SIGUSR2');
    const deadline = Date.now() + 10_000;
    while (!dev!.output.includes('log level debug (SIGUSR2)')) {
      if (Date.now() > deadline) throw new Error(`no level change in the output:\n${dev!.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('exports the spans still queued when it stops, then exits 0', async () => {
    const kafka = new Kafka({ clientId: 'dev-traced', brokers: [dev!.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 10 } });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'dev-traced', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await producer.disconnect();
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.requests, 'nothing is sent before the stop (OTEL_BSP_SCHEDULE_DELAY)').toBe(0);

    expect(await dev!.stop()).toBe(0);
    expect(dev!.output).not.toContain('still running 2 s after a clean stop');
    await receiver.waitFor((s) => s.some((x) => x.name === 'upload'), 5_000, 'the upload of the stop');
    const produce = receiver.spans.find((s) => s.name === 'produce' && s.attributes['kafka.client_id'] === 'dev-traced');
    expect(produce?.service).toBe('stratus-dev');
    expect(produce?.kind).toBe(SPAN_KIND.server);
    const batch = receiver.spans.find((s) => s.name === 'produce.batch' && s.parentSpanId === produce!.spanId);
    expect(batch?.attributes['messaging.destination.name']).toBe('dev-traced');
    expect(batch?.attributes['messaging.batch.message_count']).toBe(3);
  }, 60_000);
});
