// Every topic config Stratus knows: type, default, validation and documentation, in
// one table. CreateTopics, AlterConfigs, IncrementalAlterConfigs and DescribeConfigs
// all read it, so a key is accepted, validated and described the same way everywhere.
// Keys outside the table are refused (INVALID_CONFIG naming the key). Kafka's own topic
// configs that mean nothing here (flush.*, index.*, replication throttles, tiered
// storage, ...) are in the table, with Kafka's types, defaults and ranges, so that tools
// and client test suites that set them work; each one's documentation says it has no
// effect in Stratus and why. segment.bytes and segment.ms bound what object compaction
// merges into one extent, which retention then deletes whole, as Kafka does a segment.

import { booleanProblem, doubleProblem, integerProblem, listItems } from './config-types.ts';
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

/** A Kafka topic config that Stratus stores and describes but does not act on. */
function noEffect(name: string, type: ConfigTypeName, defaultValue: string, why: string, validate: (value: string) => string | undefined): TopicConfigKey {
  return { name, type, defaultValue, documentation: `Accepted for compatibility with Kafka tools and clients; has no effect in Stratus: ${why}`, validate };
}

const LONG_MAX = '9223372036854775807';
const NO_SEGMENTS = 'Stratus has no log segments or local index files; brokers upload data to object storage by size and time (upload.maxBytes, upload.maxDelay).';
const NO_FLUSH = 'durability follows stratus.durability (WAL fsync or object commit), not a flush interval.';
const NO_REPLICAS = 'object storage keeps the one copy; there are no follower replicas.';
const NO_TIERING = 'all data already lives on object storage.';
const NOT_COMPACTING = 'log compaction (cleanup.policy=compact) is not supported yet.';
const NOT_RECOMPRESSING = 'Stratus stores batches as producers compressed them and never re-encodes them.';

/** Kafka's list of `[partitionId]:[brokerId]` pairs, or `*`. */
function throttledReplicasProblem(value: string): string | undefined {
  const t = value.trim();
  if (t === '' || t === '*') return undefined;
  const bad = listItems(t).find((item) => !/^\d+:\d+$/.test(item));
  return bad === undefined ? undefined : `"${bad}" is not [partitionId]:[brokerId]`;
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
  noEffect('min.insync.replicas', 'int', '1', `${NO_REPLICAS} Acknowledgement follows stratus.durability.`, (v) => integerProblem(v, 'int', 1n)),
  {
    name: 'segment.bytes',
    type: 'int',
    defaultValue: '1073741824',
    documentation:
      'Largest extent object compaction merges for this topic (never more than the cluster\'s compaction.maxExtentBytes). Retention deletes whole extents, as Kafka deletes whole segments.',
    validate: (v) => integerProblem(v, 'int', 14n),
  },
  {
    name: 'segment.ms',
    type: 'long',
    defaultValue: '604800000',
    documentation:
      'Widest span of record time object compaction merges into one extent (also at most retention.ms). Retention deletes whole extents, so after compaction a record may outlive retention.ms by up to this much, as in a Kafka segment.',
    validate: (v) => integerProblem(v, 'long', 1n),
  },
  {
    name: 'message.timestamp.before.max.ms',
    type: 'long',
    defaultValue: LONG_MAX,
    documentation:
      'CreateTime topics: a batch whose timestamps lie further than this in the past of the broker\'s clock is refused with INVALID_TIMESTAMP. Kafka\'s default: no limit.',
    validate: (v) => integerProblem(v, 'long', 0n),
  },
  {
    name: 'message.timestamp.after.max.ms',
    type: 'long',
    defaultValue: '3600000',
    documentation:
      'CreateTime topics: a batch whose timestamps lie further than this in the future of the broker\'s clock is refused with INVALID_TIMESTAMP, so that no producer can plant data that retention by time never expires. Kafka\'s default: 1 hour.',
    validate: (v) => integerProblem(v, 'long', 0n),
  },
  noEffect('flush.messages', 'long', LONG_MAX, NO_FLUSH, (v) => integerProblem(v, 'long', 1n)),
  noEffect('flush.ms', 'long', LONG_MAX, NO_FLUSH, (v) => integerProblem(v, 'long', 0n)),
  noEffect('index.interval.bytes', 'int', '4096', NO_SEGMENTS, (v) => integerProblem(v, 'int', 0n)),
  noEffect('segment.index.bytes', 'int', '10485760', NO_SEGMENTS, (v) => integerProblem(v, 'int', 4n)),
  noEffect('segment.jitter.ms', 'long', '0', NO_SEGMENTS, (v) => integerProblem(v, 'long', 0n)),
  noEffect('preallocate', 'boolean', 'false', NO_SEGMENTS, booleanProblem),
  noEffect('file.delete.delay.ms', 'long', '60000', 'unreferenced objects are deleted after retention.deleteGrace.', (v) => integerProblem(v, 'long', 0n)),
  noEffect('leader.replication.throttled.replicas', 'list', '', NO_REPLICAS, throttledReplicasProblem),
  noEffect('follower.replication.throttled.replicas', 'list', '', NO_REPLICAS, throttledReplicasProblem),
  noEffect('remote.storage.enable', 'boolean', 'false', NO_TIERING, booleanProblem),
  noEffect('remote.log.copy.disable', 'boolean', 'false', NO_TIERING, booleanProblem),
  noEffect('remote.log.delete.on.disable', 'boolean', 'false', NO_TIERING, booleanProblem),
  noEffect('local.retention.ms', 'long', '-2', NO_TIERING, (v) => integerProblem(v, 'long', -2n)),
  noEffect('local.retention.bytes', 'long', '-2', NO_TIERING, (v) => integerProblem(v, 'long', -2n)),
  noEffect('delete.retention.ms', 'long', '86400000', NOT_COMPACTING, (v) => integerProblem(v, 'long', 0n)),
  noEffect('min.compaction.lag.ms', 'long', '0', NOT_COMPACTING, (v) => integerProblem(v, 'long', 0n)),
  noEffect('max.compaction.lag.ms', 'long', LONG_MAX, NOT_COMPACTING, (v) => integerProblem(v, 'long', 1n)),
  noEffect('min.cleanable.dirty.ratio', 'double', '0.5', NOT_COMPACTING, (v) => doubleProblem(v, 0, 1)),
  noEffect('compression.gzip.level', 'int', '-1', NOT_RECOMPRESSING, (v) => (v.trim() === '-1' ? undefined : integerRangeProblem(v, 1, 9))),
  noEffect('compression.lz4.level', 'int', '9', NOT_RECOMPRESSING, (v) => integerRangeProblem(v, 1, 17)),
  noEffect('compression.zstd.level', 'int', '3', NOT_RECOMPRESSING, (v) => integerRangeProblem(v, -131072, 22)),
  {
    name: 'stratus.durability',
    type: 'string',
    defaultValue: 'local',
    documentation: 'When a produce is acknowledged: "local" after the broker\'s WAL fsync, "object" after the data is in object storage and committed.',
    validate: oneOf('local', 'object'),
  },
  {
    name: 'unclean.leader.election.enable',
    type: 'boolean',
    defaultValue: 'false',
    documentation:
      'Whether a partition of a "local" topic whose leader stays fenced (its lease lapsed) for stratus.unclean.failover.grace.ms moves to a live broker anyway, giving up what the lost broker acknowledged but had not uploaded yet. Without it the partition waits for its broker. "object" topics move at once either way: their acknowledged data is committed. Default: the controller\'s cluster.uncleanFailover.',
    validate: booleanProblem,
  },
  {
    name: 'stratus.unclean.failover.grace.ms',
    type: 'long',
    defaultValue: '300000',
    documentation: 'How long a "local" topic\'s partition waits for its fenced leader to come back before unclean failover (when enabled) moves it. Default: the controller\'s cluster.uncleanFailoverGraceMs.',
    validate: (v) => integerProblem(v, 'long', 0n),
  },
];

function integerRangeProblem(value: string, min: number, max: number): string | undefined {
  const problem = integerProblem(value, 'int', BigInt(min));
  if (problem !== undefined) return problem;
  return Number(value.trim()) > max ? `${value} is more than the maximum ${max}` : undefined;
}

/** Largest config value accepted, so one request cannot bloat the journal. */
export const MAX_CONFIG_VALUE_BYTES = 16 * 1024;

export const TOPIC_CONFIG_KEYS: ReadonlyMap<string, TopicConfigKey> = new Map(KEYS.map((k) => [k.name, k]));
