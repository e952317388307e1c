// Every topic config Stratus knows: type, default, validation and documentation, in
// one table. CreateTopics, AlterConfigs, IncrementalAlterConfigs and DescribeConfigs
// all read it, so a key is accepted, validated and described the same way everywhere.
// Keys outside the table are refused (INVALID_CONFIG naming the key) rather than stored
// and ignored: a setting Stratus would not honour should not look accepted.

import { integerProblem, listItems } from './config-types.ts';
import type { ConfigTypeName } from './config-types.ts';

export interface TopicConfigKey {
  readonly name: string;
  readonly type: ConfigTypeName;
  /** Default when the topic does not set it (before broker-level overrides, see BrokerSettings). */
  readonly defaultValue: string;
  readonly documentation: string;
  /** Why a value is refused, or undefined when it is valid. */
  readonly validate: (value: string) => string | undefined;
}

function oneOf(...allowed: string[]): (value: string) => string | undefined {
  return (value) => (allowed.includes(value.trim()) ? undefined : `"${value}" is not one of ${allowed.join(', ')}`);
}

const KEYS: readonly TopicConfigKey[] = [
  {
    name: 'retention.ms',
    type: 'long',
    defaultValue: '604800000',
    documentation: 'How long data is kept before whole extents are deleted, by their newest record timestamp. -1 keeps data forever.',
    validate: (v) => integerProblem(v, 'long', -1n),
  },
  {
    name: 'retention.bytes',
    type: 'long',
    defaultValue: '-1',
    documentation: 'Per partition: the oldest extents are deleted while the rest still hold at least this many bytes. -1 keeps any amount.',
    validate: (v) => integerProblem(v, 'long', -1n),
  },
  {
    name: 'max.message.bytes',
    type: 'int',
    defaultValue: '1048588',
    documentation: 'Largest record batch a producer may send to this topic (after compression).',
    validate: (v) => integerProblem(v, 'int', 0n),
  },
  {
    name: 'cleanup.policy',
    type: 'list',
    defaultValue: 'delete',
    documentation: 'Only "delete" (retention by time and size). Log compaction is not supported yet.',
    validate: (v) => {
      const items = listItems(v);
      if (items.includes('compact')) return 'compaction is not supported yet: cleanup.policy must be "delete"';
      if (items.length === 0) return 'cleanup.policy must be "delete"';
      const unknown = items.find((i) => i !== 'delete');
      return unknown === undefined ? undefined : `"${unknown}" is not a cleanup policy: use "delete"`;
    },
  },
  {
    name: 'message.timestamp.type',
    type: 'string',
    defaultValue: 'CreateTime',
    documentation: 'CreateTime keeps the producer\'s timestamps; LogAppendTime replaces them with the broker\'s time on append.',
    validate: oneOf('CreateTime', 'LogAppendTime'),
  },
  {
    name: 'compression.type',
    type: 'string',
    defaultValue: 'producer',
    documentation: 'Only "producer": batches are stored exactly as producers compressed them. Stratus never re-encodes record batches.',
    validate: (v) => {
      const t = v.trim();
      if (t === 'producer') return undefined;
      if (['uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'].includes(t)) {
        return `compression.type=${t} is not supported: Stratus stores batches as producers compressed them and never re-encodes them; set compression on the producer and use "producer" here`;
      }
      return `"${v}" is not a compression type (only "producer" is supported)`;
    },
  },
  {
    name: 'min.insync.replicas',
    type: 'int',
    defaultValue: '1',
    documentation: 'Accepted for compatibility. Stratus keeps one copy on object storage; durability follows stratus.durability.',
    validate: (v) => integerProblem(v, 'int', 1n),
  },
  {
    name: 'segment.bytes',
    type: 'int',
    defaultValue: '1073741824',
    documentation: 'Accepted for tool compatibility and otherwise ignored: Stratus has no log segments; brokers upload data by size and time (upload.max.bytes, upload.max.delay).',
    validate: (v) => integerProblem(v, 'int', 14n),
  },
  {
    name: 'segment.ms',
    type: 'long',
    defaultValue: '604800000',
    documentation: 'Accepted for tool compatibility and otherwise ignored: Stratus has no log segments; brokers upload data by size and time (upload.max.bytes, upload.max.delay).',
    validate: (v) => integerProblem(v, 'long', 1n),
  },
  {
    name: 'stratus.durability',
    type: 'string',
    defaultValue: 'local',
    documentation: 'When a produce is acknowledged: "local" after the broker\'s WAL fsync, "object" after the data is in object storage and committed.',
    validate: oneOf('local', 'object'),
  },
];

/** Largest config value accepted, so one request cannot bloat the journal. */
export const MAX_CONFIG_VALUE_BYTES = 16 * 1024;

export const TOPIC_CONFIG_KEYS: ReadonlyMap<string, TopicConfigKey> = new Map(KEYS.map((k) => [k.name, k]));
