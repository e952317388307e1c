// Kafka's own Java tools against a local cluster, for the failure tests in test/cluster/:
// VerifiableProducer as a long-running child (its JSON events read as they come, so a test
// can kill a broker in the middle of the stream and see which records were acknowledged
// where), the Java client's retried errors counted by Kafka error code from its log, and a
// full read of a topic with kcat (every record of every partition up to its end, without a
// group, so a duplicate or a hole cannot hide behind a committed offset).
// The jars come from test/peers/kafka.sh (npm test's pretest provisions them).

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PEERS, describeFailure, run } from '../../compat/support/process.ts';
import type { ProducedRecord } from './kafka-clients.ts';

export const VERIFIABLE_PRODUCER = 'org.apache.kafka.tools.VerifiableProducer';
export const VERIFIABLE_CONSUMER = 'org.apache.kafka.tools.VerifiableConsumer';

/** What the Java producer's log says it retried (WARN lines), by Kafka error name. */
export function retriedErrorsByCode(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of log.split('\n')) {
    // "Got error produce response with correlation id 31 on topic-partition t-2, retrying (2147483646 attempts left). Error: NOT_LEADER_OR_FOLLOWER"
    const m = /retrying \(\d+ attempts left\)\. Error: ([A-Z_]+)/.exec(line);
    // NetworkClient: "Connection to node 2 (/127.0.0.1:41235) could not be established. Node may not be available."
    const refused = /Connection to node -?\d+ .* could not be established/.test(line);
    const code = m?.[1] ?? (refused ? 'CONNECTION_REFUSED' : undefined);
    if (code !== undefined) counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return counts;
}

/** Kafka's names of the errors a producer may retry (RetriableException in the Java client), and a refused connection. */
export const RETRIABLE = new Set([
  'CONNECTION_REFUSED', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'NETWORK_EXCEPTION', 'REQUEST_TIMED_OUT', 'NOT_ENOUGH_REPLICAS', 'KAFKA_STORAGE_ERROR', 'CORRUPT_MESSAGE',
  'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH', 'OFFSET_NOT_AVAILABLE', 'THROTTLING_QUOTA_EXCEEDED',
]);

export interface VerifiableProducerRun {
  /** Acknowledged records so far, in ack order (value = VerifiableProducer's counter). */
  readonly acked: ProducedRecord[];
  /** Wall-clock time (Date.now()) of every ack, parallel to `acked`. */
  readonly ackedAtMs: number[];
  /** producer_send_error events: records the client gave up on. */
  readonly sendErrors: Record<string, unknown>[];
  /** Everything the JVM wrote to stderr (the client's WARN log). */
  stderr(): string;
  /** Whether the tool has exited. */
  exited(): boolean;
  /** Resolves when the tool has exited (after --max-messages, or stop()). */
  readonly done: Promise<{ code: number | null; toolData: Record<string, unknown> | undefined }>;
  /** SIGTERM: the tool closes its producer (sending what it holds) and exits. */
  stop(): Promise<{ code: number | null; toolData: Record<string, unknown> | undefined }>;
}

export interface VerifiableProducerOptions {
  readonly bootstrap: string;
  readonly topic: string;
  readonly maxMessages: number;
  /** Records per second (VerifiableProducer's --throughput). */
  readonly throughput: number;
  /** Values are "<prefix>.<n>" (VerifiableProducer's --value-prefix, an integer) instead of "<n>": for several runs on one topic. */
  readonly valuePrefix?: number;
  /** Producer configs on top of acks=all, enable.idempotence=true, unlimited retries and a 120 s delivery timeout. */
  readonly config?: Readonly<Record<string, string>>;
}

/** Starts VerifiableProducer (acks=all, idempotent) on `topic`. */
export function startVerifiableProducer(o: VerifiableProducerOptions): VerifiableProducerRun {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-verifiable-'));
  const configFile = join(dir, 'producer.properties');
  // VerifiableProducer sets retries=0 unless told (Kafka refuses that with idempotence).
  const config: Record<string, string> = { acks: 'all', 'enable.idempotence': 'true', retries: '2147483647', 'delivery.timeout.ms': '120000', 'retry.backoff.ms': '100', 'retry.backoff.max.ms': '1000', 'linger.ms': '5', ...o.config };
  writeFileSync(configFile, Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const args = [
    join(PEERS, 'kafka-run.sh'), VERIFIABLE_PRODUCER,
    '--bootstrap-server', o.bootstrap, '--topic', o.topic, '--max-messages', String(o.maxMessages),
    '--throughput', String(o.throughput), '--acks', '-1', '--producer.config', configFile,
    ...(o.valuePrefix !== undefined ? ['--value-prefix', String(o.valuePrefix)] : []),
  ];
  const child: ChildProcess = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: ProducedRecord[] = [];
  const ackedAtMs: number[] = [];
  const sendErrors: Record<string, unknown>[] = [];
  let toolData: Record<string, unknown> | undefined;
  let stderr = '';
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as Record<string, unknown>;
      if (e['name'] === 'producer_send_success') {
        acked.push({ partition: Number(e['partition']), offset: Number(e['offset']), value: String(e['value']) });
        ackedAtMs.push(Date.now());
      } else if (e['name'] === 'producer_send_error') sendErrors.push(e);
      else if (e['name'] === 'tool_data') toolData = e;
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<{ code: number | null; toolData: Record<string, unknown> | undefined }>((resolve) =>
    child.once('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, toolData });
    }),
  );
  return {
    acked,
    ackedAtMs,
    sendErrors,
    stderr: () => stderr,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    done,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return done;
    },
  };
}

/** Every record of `topic` from the beginning to each partition's end, read with kcat (no group). */
export async function readAllWithKcat(bootstrap: string, topic: string): Promise<ProducedRecord[]> {
  const r = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q'], { timeoutMs: 90_000 });
  if (r.code !== 0) throw new Error(describeFailure(r));
  const out: ProducedRecord[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const m = JSON.parse(line) as { partition: number; offset: number; payload: string | null };
    out.push({ partition: m.partition, offset: m.offset, value: m.payload ?? '' });
  }
  return out;
}

/**
 * Leader per partition of `topic` (-1: none) as the broker at `address` answers Metadata,
 * through kcat with a short timeout: for a poll that must not wait on a frozen broker
 * (kafkajs keeps asking the broker it is connected to, for its 30 s request timeout).
 */
export async function leadersVia(address: string, topic: string): Promise<number[]> {
  const r = await run('kcat', ['-L', '-J', '-b', address, '-t', topic, '-m', '2', '-X', 'topic.metadata.refresh.interval.ms=-1'], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(describeFailure(r));
  const md = JSON.parse(r.stdout) as { topics: { topic: string; partitions: { partition: number; leader: number }[] }[] };
  const t = md.topics.find((x) => x.topic === topic);
  if (t === undefined) throw new Error(`${address} does not list ${topic}`);
  return [...t.partitions].sort((a, b) => a.partition - b.partition).map((p) => p.leader);
}

/** The longest time between two consecutive acks of the run (how long the stream stalled). */
export function longestAckGapMs(ackedAtMs: readonly number[]): number {
  let gap = 0;
  for (let i = 1; i < ackedAtMs.length; i++) gap = Math.max(gap, ackedAtMs[i]! - ackedAtMs[i - 1]!);
  return gap;
}
