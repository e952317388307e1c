// The well-behaved client that runs beside the fuzzer: a kafkajs 2.2.4 idempotent
// producer writing numbered records to a one-partition control topic (acks=all, one
// send at a time) and a kafkajs consumer group reading them back. kafkajs retries only
// what Kafka marks retriable; any error that reaches us fails the run. At the end every
// acknowledged record must sit at the offset of its number and be read back in order.

import kafkajs from 'kafkajs';
import type { Consumer, Kafka, KafkaConfig, LogEntry, Producer } from 'kafkajs';

const { Kafka: KafkaClient, Partitioners, logLevel } = kafkajs;
/** No send may take longer than this, retries included. */
const SEND_GUARD_MS = 30_000;

export interface ControlReport {
  readonly produced: number;
  /** Acknowledged base offsets that were not the record's number. */
  readonly ackProblems: readonly string[];
  readonly consumed: number;
  /** Records read again after a rebalance (offset below one already seen). */
  readonly redelivered: number;
  readonly orderProblems: readonly string[];
  readonly errors: readonly string[];
  /** Log lines kafkajs wrote at WARN or ERROR (retries, rebalances). */
  readonly logged: readonly string[];
  readonly groupJoins: number;
  readonly sendLatencyMsMax: number;
  readonly sendLatencyMsAvg: number;
}

/** How the control client authenticates: kafkajs's own settings. */
export type ControlSecurity = Pick<KafkaConfig, 'sasl' | 'ssl'>;

export class ControlClient {
  private readonly kafka: Kafka;
  private readonly topic: string;
  private readonly producer: Producer;
  private readonly consumer: Consumer;
  private running = true;
  private loop: Promise<void> | undefined;
  private produced = 0;
  private readonly ackProblems: string[] = [];
  private readonly errors: string[] = [];
  private readonly logged: string[] = [];
  private readonly seen: { offset: number; value: string }[] = [];
  private groupJoins = 0;
  private latencyMax = 0;
  private latencySum = 0;
  private sends = 0;

  private constructor(bootstrap: string, topic: string, groupId: string, security: ControlSecurity) {
    this.topic = topic;
    this.kafka = new KafkaClient({
      ...security,
      clientId: 'stratus-fuzz-control',
      brokers: [bootstrap],
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        if (this.logged.length < 200) this.logged.push(`${entry.namespace}: ${entry.log.message}${entry.log['error'] ? ` (${String(entry.log['error'])})` : ''}`);
      },
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    // An idempotent producer retries retriable errors without limit (kafkajs warns below
    // MAX_SAFE_INTEGER); the send guard turns "forever" into a failure.
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    this.consumer = this.kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 });
  }

  /** Creates the topic and starts producing and consuming (over TLS and SASL when `security` says so). */
  static async start(bootstrap: string, topic: string, groupId: string, security: ControlSecurity = {}): Promise<ControlClient> {
    const c = new ControlClient(bootstrap, topic, groupId, security);
    const admin = c.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await c.producer.connect();
    c.consumer.on(c.consumer.events.GROUP_JOIN, () => c.groupJoins++);
    c.consumer.on(c.consumer.events.CRASH, (e) => c.errors.push(`consumer crashed: ${String(e.payload.error)}`));
    await c.consumer.connect();
    await c.consumer.subscribe({ topic, fromBeginning: true });
    await c.consumer.run({
      eachMessage: async ({ message }) => {
        c.seen.push({ offset: Number(message.offset), value: message.value?.toString() ?? '' });
      },
    });
    c.loop = c.produceLoop();
    return c;
  }

  private async produceLoop(): Promise<void> {
    while (this.running) {
      const first = this.produced;
      const messages = Array.from({ length: 1 + (first % 4) }, (_, i) => ({ key: 'control', value: String(first + i) }));
      const started = performance.now();
      try {
        let guard: NodeJS.Timeout | undefined;
        const acks = await Promise.race([
          this.producer.send({ topic: this.topic, acks: -1, timeout: 10_000, messages }),
          new Promise<never>((_, reject) => {
            guard = setTimeout(() => reject(new Error(`no acknowledgement within ${SEND_GUARD_MS} ms`)), SEND_GUARD_MS);
          }),
        ]).finally(() => clearTimeout(guard));
        const ms = performance.now() - started;
        this.latencyMax = Math.max(this.latencyMax, ms);
        this.latencySum += ms;
        this.sends++;
        const ack = acks.find((a) => a.partition === 0);
        if (ack === undefined || ack.errorCode !== 0) this.ackProblems.push(`send of ${first}..: ack ${JSON.stringify(acks)}`);
        else if (Number(ack.baseOffset) !== first) this.ackProblems.push(`records ${first}.. acknowledged at offset ${ack.baseOffset}`);
        this.produced += messages.length;
      } catch (e) {
        this.errors.push(`send of records ${first}..${first + messages.length - 1} failed: ${(e as Error).message}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops producing, waits for the consumer to read everything back, and checks it. */
  async stop(readBackTimeoutMs: number): Promise<ControlReport> {
    this.running = false;
    await this.loop;
    const deadline = Date.now() + readBackTimeoutMs;
    while (this.highestSeen() < this.produced - 1 && Date.now() < deadline && this.errors.length === 0) await new Promise((r) => setTimeout(r, 100));
    await this.consumer.disconnect().catch((e: Error) => this.errors.push(`consumer disconnect: ${e.message}`));
    await this.producer.disconnect().catch((e: Error) => this.errors.push(`producer disconnect: ${e.message}`));

    // Drop re-deliveries (a record at or below an offset already seen), then the rest must be 0, 1, 2, ...
    const orderProblems: string[] = [];
    let redelivered = 0;
    let expected = 0;
    for (const r of this.seen) {
      if (r.offset < expected) {
        redelivered++;
        continue;
      }
      if (r.offset !== expected || r.value !== String(expected)) {
        if (orderProblems.length < 20) orderProblems.push(`expected record ${expected} at offset ${expected}, read "${r.value}" at offset ${r.offset}`);
        expected = r.offset;
      }
      expected++;
    }
    if (expected < this.produced) orderProblems.push(`read back ${expected} of ${this.produced} acknowledged records`);
    return {
      produced: this.produced,
      ackProblems: this.ackProblems,
      consumed: this.seen.length,
      redelivered,
      orderProblems,
      errors: this.errors,
      logged: this.logged,
      groupJoins: this.groupJoins,
      sendLatencyMsMax: Math.round(this.latencyMax),
      sendLatencyMsAvg: Math.round(this.latencySum / Math.max(1, this.sends)),
    };
  }

  private highestSeen(): number {
    return this.seen.length === 0 ? -1 : this.seen[this.seen.length - 1]!.offset;
  }
}
