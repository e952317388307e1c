// The broker config resource: a small read-only set of Kafka broker settings that
// describe how the cluster behaves, passed in through controller options
// (`brokerConfigs`, Kafka key names, from the config file). Tools such as
// kafka-configs --describe --entity-type brokers read them; nothing alters them at run
// time. Three of them are also the defaults of topic configs, as in Kafka
// (log.retention.ms is retention.ms's default, and so on).

import { booleanProblem, integerProblem, parseLong } from './config-types.ts';
import type { ConfigTypeName } from './config-types.ts';
import { TOPIC_CONFIG_KEYS } from './topic-config-schema.ts';

export interface BrokerSettings {
  /** num.partitions: partitions of topics created with numPartitions -1 (and auto-created ones). */
  readonly numPartitions: number;
  /** auto.create.topics.enable: whether brokers create unknown topics on Metadata and Produce. */
  readonly autoCreateTopicsEnable: boolean;
  /** log.retention.ms: retention.ms of topics that do not set it. */
  readonly logRetentionMs: number;
  /** log.retention.bytes: retention.bytes of topics that do not set it. */
  readonly logRetentionBytes: number;
  /** message.max.bytes: max.message.bytes of topics that do not set it. */
  readonly messageMaxBytes: number;
  /**
   * The cluster defaults of unclean failover (controller options cluster.uncleanFailover
   * and cluster.uncleanFailoverGraceMs), shown as the defaults of the topic configs
   * unclean.leader.election.enable and stratus.unclean.failover.grace.ms. Absent: the
   * schema's defaults.
   */
  readonly uncleanFailover?: boolean;
  readonly uncleanFailoverGraceMs?: number;
}

interface BrokerKey {
  readonly name: string;
  readonly type: ConfigTypeName;
  readonly defaultValue: string;
  readonly documentation: string;
  readonly validate: (value: string) => string | undefined;
}

const KEYS: readonly BrokerKey[] = [
  {
    name: 'num.partitions',
    type: 'int',
    defaultValue: '1',
    documentation: 'Partitions of a topic created without a partition count.',
    validate: (v) => integerProblem(v, 'int', 1n),
  },
  {
    name: 'default.replication.factor',
    type: 'int',
    defaultValue: '1',
    documentation: 'Always 1: object storage holds the one copy and replicates it underneath.',
    validate: (v) => (v.trim() === '1' ? undefined : 'must be 1: Stratus keeps one copy in object storage'),
  },
  {
    name: 'auto.create.topics.enable',
    type: 'boolean',
    defaultValue: 'true',
    documentation: 'Whether Metadata and Produce requests create unknown topics.',
    validate: booleanProblem,
  },
  {
    name: 'log.retention.ms',
    type: 'long',
    defaultValue: '604800000',
    documentation: 'Default retention.ms of topics. -1 keeps data forever.',
    validate: (v) => integerProblem(v, 'long', -1n),
  },
  {
    name: 'log.retention.bytes',
    type: 'long',
    defaultValue: '-1',
    documentation: 'Default retention.bytes of topics (per partition). -1 keeps any amount.',
    validate: (v) => integerProblem(v, 'long', -1n),
  },
  {
    name: 'message.max.bytes',
    type: 'int',
    defaultValue: '1048588',
    documentation: 'Default max.message.bytes of topics: the largest record batch accepted.',
    validate: (v) => integerProblem(v, 'int', 0n),
  },
];

export const BROKER_CONFIG_KEYS: ReadonlyMap<string, BrokerKey> = new Map(KEYS.map((k) => [k.name, k]));

export interface BrokerConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly type: ConfigTypeName;
  readonly documentation: string;
}

/**
 * Validates the broker configs given to the controller (Kafka key names) and fills in
 * defaults. Throws RangeError naming the key: a bad config file should stop the start.
 */
export function resolveBrokerConfigs(
  given: Readonly<Record<string, string>>,
  limits: { readonly maxPartitionsPerTopic: number; readonly maxBatchBytes: number },
): { entries: BrokerConfigEntry[]; settings: BrokerSettings } {
  const { maxPartitionsPerTopic, maxBatchBytes } = limits;
  for (const name of Object.keys(given)) {
    if (!BROKER_CONFIG_KEYS.has(name)) throw new RangeError(`Controller option brokerConfigs: unknown key ${name} (known: ${[...BROKER_CONFIG_KEYS.keys()].join(', ')})`);
  }
  const entries = KEYS.map((k): BrokerConfigEntry => {
    const value = (given[k.name] ?? k.defaultValue).trim();
    const problem = k.validate(value);
    if (problem !== undefined) throw new RangeError(`Controller option brokerConfigs: invalid ${k.name}: ${problem}`);
    return { name: k.name, value, type: k.type, documentation: k.documentation };
  });
  const value = (name: string): string => entries.find((e) => e.name === name)!.value;
  const settings: BrokerSettings = {
    numPartitions: Number(value('num.partitions')),
    autoCreateTopicsEnable: value('auto.create.topics.enable').toLowerCase() === 'true',
    logRetentionMs: parseLong(value('log.retention.ms')),
    logRetentionBytes: parseLong(value('log.retention.bytes')),
    messageMaxBytes: Number(value('message.max.bytes')),
  };
  if (settings.messageMaxBytes > maxBatchBytes) {
    throw new RangeError(
      `Controller option brokerConfigs: message.max.bytes ${settings.messageMaxBytes} exceeds ${maxBatchBytes}, the largest record batch the brokers' storage can hold (raise wal.segmentBytes / storage.pendingBytes or lower message.max.bytes)`,
    );
  }
  if (settings.numPartitions > maxPartitionsPerTopic) throw new RangeError(`Controller option brokerConfigs: num.partitions ${settings.numPartitions} exceeds maxPartitionsPerTopic ${maxPartitionsPerTopic}`);
  return { entries, settings };
}

/** A topic key's default: the broker setting that stands for it, else the schema's. */
export function topicConfigDefault(name: string, s: BrokerSettings): string | undefined {
  switch (name) {
    case 'retention.ms':
      return String(s.logRetentionMs);
    case 'retention.bytes':
      return String(s.logRetentionBytes);
    case 'max.message.bytes':
      return String(s.messageMaxBytes);
    case 'unclean.leader.election.enable':
      return s.uncleanFailover !== undefined ? String(s.uncleanFailover) : TOPIC_CONFIG_KEYS.get(name)?.defaultValue;
    case 'stratus.unclean.failover.grace.ms':
      return s.uncleanFailoverGraceMs !== undefined ? String(s.uncleanFailoverGraceMs) : TOPIC_CONFIG_KEYS.get(name)?.defaultValue;
    default:
      return TOPIC_CONFIG_KEYS.get(name)?.defaultValue;
  }
}
