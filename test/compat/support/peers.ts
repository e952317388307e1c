// The suite's external programs: Apache Kafka's Java tools and our Java programs
// (test/compat/java, compiled by test/peers/kafka-java.sh), kcat, and the
// confluent-kafka-python scripts, run by two installations: Debian's package (an old
// librdkafka) and the current release from PyPI (its wheel bundles the current librdkafka).
// test/peers/compat-peers.sh provisions them (the global setup runs it first) and reports
// where they are.

import path from 'node:path';
import { PEERS, REPO, run, runOk } from './process.ts';
import type { RunOptions, RunResult } from './process.ts';

/** The confluent-kafka-python installations: Debian's python3-confluent-kafka, and PyPI's in a venv. */
export const PYTHON_PEERS = ['debian', 'pypi'] as const;
export type PythonPeer = (typeof PYTHON_PEERS)[number];

export interface PythonInstall {
  /** The interpreter that imports confluent_kafka. */
  readonly interpreter: string;
  /** "<confluent-kafka version> on librdkafka <version>". */
  readonly client: string;
}

export interface Peers {
  readonly kafkaHome: string;
  readonly kafkaVersion: string;
  readonly javaClasses: string;
  readonly python: Readonly<Record<PythonPeer, PythonInstall>>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Per installation, its PythonInstall.client: global-setup.ts provides it, for test names. */
    pythonClients?: Readonly<Record<PythonPeer, string>>;
  }
}

/** For test names, librdkafka first (reporters cut long names): "librdkafka 2.16.0 (PyPI confluent-kafka-python 2.16.2)". */
export function pythonPeerName(peer: PythonPeer, client: string | undefined): string {
  const source = peer === 'debian' ? 'Debian' : 'PyPI';
  const m = /^(\S+) on librdkafka (\S+)$/.exec(client ?? '');
  if (!m) return `librdkafka (${source} confluent-kafka-python${client === undefined ? '' : ` ${client}`})`;
  return `librdkafka ${m[2]!} (${source} confluent-kafka-python ${m[1]!})`;
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
    return {
      kafkaHome: get('KAFKA_HOME'),
      kafkaVersion: get('KAFKA_VERSION'),
      javaClasses: get('JAVA_CLASSES'),
      python: {
        debian: { interpreter: get('PYTHON'), client: get('PYTHON_CLIENT') },
        pypi: { interpreter: get('PYTHON_PYPI'), client: get('PYTHON_PYPI_CLIENT') },
      },
    };
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

/** Runs test/compat/python/<script> with one confluent-kafka-python installation's interpreter. */
export async function python(
  peer: PythonPeer,
  script: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const p = await provisionedPeers();
  return run(p.python[peer].interpreter, [path.join(REPO, 'test/compat/python', script), ...args], options);
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
