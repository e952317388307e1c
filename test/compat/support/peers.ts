// The suite's external programs: Apache Kafka's Java tools and our Java programs
// (test/compat/java, compiled by test/peers/kafka-java.sh), kcat, and the
// confluent-kafka-python scripts. test/peers/compat-peers.sh provisions them (the global
// setup runs it first) and reports where they are.

import path from 'node:path';
import { PEERS, REPO, run, runOk } from './process.ts';
import type { RunOptions, RunResult } from './process.ts';

export interface Peers {
  readonly kafkaHome: string;
  readonly kafkaVersion: string;
  readonly javaClasses: string;
  readonly python: string;
}

let peers: Promise<Peers> | undefined;

/** Runs compat-peers.sh (idempotent; a fraction of a second once provisioned). */
export function provisionedPeers(): Promise<Peers> {
  peers ??= (async () => {
    const r = await runOk('bash', [path.join(PEERS, 'compat-peers.sh')], { timeoutMs: 15 * 60_000 });
    const values = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const get = (k: string): string => {
      const v = values.get(k);
      if (v === undefined) throw new Error(`compat-peers.sh did not report ${k}:\n${r.stdout}`);
      return v;
    };
    return { kafkaHome: get('KAFKA_HOME'), kafkaVersion: get('KAFKA_VERSION'), javaClasses: get('JAVA_CLASSES'), python: get('PYTHON') };
  })();
  return peers;
}

/** Runs a Java main class (one of Kafka's tools, or ours) on Kafka's classpath. */
export async function java(mainClass: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const p = await provisionedPeers();
  return run('bash', [path.join(PEERS, 'kafka-run.sh'), mainClass, ...args], {
    ...options,
    env: { KAFKA_RUN_CP: p.javaClasses, ...options.env },
  });
}

/** Runs test/compat/python/<script> with the interpreter that has confluent_kafka. */
export async function python(script: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const p = await provisionedPeers();
  return run(p.python, [path.join(REPO, 'test/compat/python', script), ...args], options);
}

/** Kafka's tool classes in 4.x (checked against the jars: kafka-tools and kafka_2.13). */
export const Tools = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  consoleProducer: 'org.apache.kafka.tools.ConsoleProducer',
  consoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  consumerGroups: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  configs: 'kafka.admin.ConfigCommand',
  verifiableProducer: 'org.apache.kafka.tools.VerifiableProducer',
  verifiableConsumer: 'org.apache.kafka.tools.VerifiableConsumer',
} as const;
