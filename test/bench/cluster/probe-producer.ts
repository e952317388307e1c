// A producer that writes one partition continuously and knows which broker accepted each
// send: the benchmark's probe for move and failover times ("from the move's start, or the
// kill, to the first produce the new leader accepted"). kafkajs, idempotent, acks=all,
// one request in flight, so a send that resolves was answered by the broker of the last
// Produce response kafkajs saw (its NETWORK_REQUEST event fires before the send's
// promise continues). Retries are the client's own, with a short backoff, as a client
// tuned for fail-over would have them; the settings are in PROBE_CLIENT for the report.

import kafkajs from 'kafkajs';
import type { Producer } from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export const PROBE_CLIENT = 'kafkajs 2.2.4, idempotent, acks=all, 1 request in flight, batches of 10 × 1 KiB, retry backoff 50 ms doubling to at most 250 ms (40 retries), request timeout 5 s';

export interface ProbeAck {
  /** Date.now() when the send resolved. */
  readonly atMs: number;
  /** The broker that answered it (node id), or -1 when unknown. */
  readonly broker: number;
  readonly offset: number;
}

export class ProbeProducer {
  readonly topic: string;
  readonly partition: number;
  readonly acks: ProbeAck[] = [];
  failures = 0;
  private running = true;
  private readonly done: Promise<void>;
  private readonly producer: Producer;

  private constructor(producer: Producer, topic: string, partition: number, brokerOfPort: (port: number) => number) {
    this.producer = producer;
    this.topic = topic;
    this.partition = partition;
    let lastBroker = -1;
    producer.on(producer.events.REQUEST, (e) => {
      if (e.payload.apiName === 'Produce') lastBroker = brokerOfPort(Number(e.payload.broker.split(':').pop()));
    });
    const value = Buffer.alloc(1024, 0x61);
    this.done = (async () => {
      while (this.running) {
        try {
          const [r] = await producer.send({ topic, acks: -1, timeout: 5000, messages: Array.from({ length: 10 }, () => ({ value, partition })) });
          this.acks.push({ atMs: Date.now(), broker: lastBroker, offset: Number(r!.baseOffset) });
        } catch {
          this.failures++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();
  }

  static async start(o: { bootstrap: readonly string[]; topic: string; partition: number; brokerOfPort: (port: number) => number }): Promise<ProbeProducer> {
    const kafka = new Kafka({
      clientId: `bench-probe-${o.topic}-${o.partition}`,
      brokers: [...o.bootstrap],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { initialRetryTime: 50, maxRetryTime: 250, retries: 40 },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new ProbeProducer(producer, o.topic, o.partition, o.brokerOfPort);
  }

  /** The first send accepted by `broker` that resolved after `fromMs` (waits up to `timeoutMs`). */
  async firstAckBy(broker: number, fromMs: number, timeoutMs: number): Promise<ProbeAck | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const a = this.acks.find((x) => x.atMs >= fromMs && x.broker === broker);
      if (a !== undefined || Date.now() > deadline) return a;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The first send resolved after `fromMs` by a broker other than `notBroker`. */
  async firstAckNotBy(notBroker: number, fromMs: number, timeoutMs: number): Promise<ProbeAck | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const a = this.acks.find((x) => x.atMs >= fromMs && x.broker !== notBroker && x.broker !== -1);
      if (a !== undefined || Date.now() > deadline) return a;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    await this.producer.disconnect().catch(() => undefined);
  }
}
