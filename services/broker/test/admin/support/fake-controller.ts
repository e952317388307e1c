// An in-memory controller for the admin handler tests: the topic and config parts of
// ControllerApi (metadata, create/delete topics, create partitions, describe and alter
// configs) with the error codes and config sources a real controller answers. Everything
// else throws when called. Calls are recorded so tests can check what reached it.

import { ErrorCode } from '@stratus/protocol';
import type {
  AlterConfigOp,
  BrokerInfo,
  ClusterMetadata,
  ConfigEntry,
  ConfigResourceType,
  ControllerApi,
  CreateTopicRequest,
  CreateTopicResult,
  DescribeConfigsResult,
  ItemResult,
  TopicInfo,
} from '@stratus/controller';

/** Kafka's ConfigSource and ConfigType codes used by the fake's schema. */
export const Source = { DYNAMIC_TOPIC: 1, STATIC_BROKER: 4, DEFAULT: 5 } as const;
export const Type = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, LIST: 7, PASSWORD: 9 } as const;

interface ConfigDef {
  readonly name: string;
  readonly type: number;
  readonly defaultValue: string;
  readonly documentation: string;
}

/** A small topic config schema, in the order entries are described. */
export const TOPIC_CONFIGS: readonly ConfigDef[] = [
  { name: 'cleanup.policy', type: Type.LIST, defaultValue: 'delete', documentation: 'The retention policy: delete, compact or both.' },
  { name: 'compression.type', type: Type.STRING, defaultValue: 'producer', documentation: 'The final compression type for the topic.' },
  { name: 'max.message.bytes', type: Type.INT, defaultValue: '1048588', documentation: 'The largest record batch size allowed.' },
  { name: 'retention.ms', type: Type.LONG, defaultValue: '604800000', documentation: 'How long a log is retained before old segments are deleted.' },
  { name: 'segment.bytes', type: Type.INT, defaultValue: '1073741824', documentation: 'The segment file size for the log.' },
];

/** This broker's static configs (node 1). */
export const BROKER_CONFIGS: readonly ConfigEntry[] = [
  { name: 'broker.id', value: '1', readOnly: true, source: Source.STATIC_BROKER, sensitive: false, type: Type.INT, documentation: 'The broker id.' },
  { name: 'log.retention.hours', value: '168', readOnly: true, source: Source.DEFAULT, sensitive: false, type: Type.INT, documentation: 'Hours to keep a log file.' },
  { name: 'num.partitions', value: '3', readOnly: true, source: Source.STATIC_BROKER, sensitive: false, type: Type.INT, documentation: 'Default partitions per topic.' },
  { name: 'ssl.keystore.password', value: 'hunter2', readOnly: true, source: Source.STATIC_BROKER, sensitive: true, type: Type.PASSWORD, documentation: 'The keystore password.' },
];

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

type AdminMethods = 'metadata' | 'createTopics' | 'deleteTopics' | 'createPartitions' | 'describeConfigs' | 'alterConfigs' | 'incrementalAlterConfigs';

export interface RecordedCall {
  readonly method: AdminMethods;
  readonly args: readonly unknown[];
}

interface MutableTopic {
  name: string;
  topicId: string;
  partitions: { partition: number; leader: number; leaderEpoch: number }[];
  configs: Record<string, string>;
  internal: boolean;
}

function ok(): ItemResult {
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

function fail(errorCode: number, errorMessage: string): ItemResult {
  return { errorCode, errorMessage };
}

export class FakeController implements Pick<ControllerApi, AdminMethods> {
  readonly calls: RecordedCall[] = [];
  readonly brokers: BrokerInfo[] = [
    { nodeId: 1, host: 'broker-1.local', port: 9092, rack: null },
    { nodeId: 2, host: 'broker-2.local', port: 9093, rack: 'eu-west-1b' },
  ];
  private readonly topics = new Map<string, MutableTopic>();
  private nextId = 1;
  private version = 1;

  /** Adds a topic directly (test setup). */
  addTopic(name: string, partitions: number, configs: Record<string, string> = {}, leader = 1): TopicInfo {
    const t: MutableTopic = {
      name,
      topicId: this.newTopicId(),
      partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, leader, leaderEpoch: 0 })),
      configs: { ...configs },
      internal: name.startsWith('__'),
    };
    this.topics.set(name, t);
    this.version++;
    return this.info(t);
  }

  topic(name: string): TopicInfo | undefined {
    const t = this.topics.get(name);
    return t && this.info(t);
  }

  metadata(): ClusterMetadata {
    return {
      clusterId: 'stratus-test-cluster',
      controllerId: 1,
      brokers: this.brokers.map((b) => ({ ...b, fenced: false, draining: false })),
      topics: [...this.topics.values()].map((t) => this.info(t)),
      version: this.version,
    };
  }

  async createTopics(requests: readonly CreateTopicRequest[], options: { validateOnly: boolean }): Promise<CreateTopicResult[]> {
    this.record('createTopics', requests, options);
    return requests.map((r) => {
      const failure = this.checkNewTopic(r);
      if (failure) return { name: r.name, ...failure, topic: null };
      if (options.validateOnly) return { name: r.name, ...ok(), topic: null };
      const configs = Object.fromEntries(Object.entries(r.configs).filter((e): e is [string, string] => e[1] !== null));
      return { name: r.name, ...ok(), topic: this.addTopic(r.name, r.numPartitions === -1 ? 3 : r.numPartitions, configs) };
    });
  }

  async deleteTopics(topics: readonly { name?: string; topicId?: string }[]): Promise<(ItemResult & { name: string | null; topicId: string })[]> {
    this.record('deleteTopics', topics);
    return topics.map((ref) => {
      const t = ref.name !== undefined ? this.topics.get(ref.name) : [...this.topics.values()].find((x) => x.topicId === ref.topicId);
      if (t === undefined) {
        return ref.name !== undefined
          ? { name: ref.name, topicId: ZERO_UUID, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.') }
          : { name: null, topicId: ref.topicId ?? ZERO_UUID, ...fail(ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.') };
      }
      this.topics.delete(t.name);
      this.version++;
      return { name: t.name, topicId: t.topicId, ...ok() };
    });
  }

  async createPartitions(requests: readonly { name: string; count: number }[], options: { validateOnly: boolean }): Promise<(ItemResult & { name: string })[]> {
    this.record('createPartitions', requests, options);
    return requests.map(({ name, count }) => {
      const t = this.topics.get(name);
      if (t === undefined) return { name, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`) };
      const current = t.partitions.length;
      if (count < current) return { name, ...fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`) };
      if (count === current) return { name, ...fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`) };
      if (!options.validateOnly) {
        for (let p = current; p < count; p++) t.partitions.push({ partition: p, leader: 1, leaderEpoch: 0 });
        this.version++;
      }
      return { name, ...ok() };
    });
  }

  async describeConfigs(resources: readonly { type: ConfigResourceType; name: string; keys: readonly string[] | null }[]): Promise<DescribeConfigsResult[]> {
    this.record('describeConfigs', resources);
    return resources.map(({ type, name, keys }) => {
      const base = { resourceType: type, resourceName: name };
      let entries: readonly ConfigEntry[];
      if (type === 'broker') {
        if (name !== '1') return { ...base, ...fail(ErrorCode.INVALID_REQUEST, `No broker ${name}`), entries: [] };
        entries = BROKER_CONFIGS;
      } else {
        const t = this.topics.get(name);
        if (t === undefined) return { ...base, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`), entries: [] };
        entries = TOPIC_CONFIGS.map((d) => {
          const set = t.configs[d.name];
          return {
            name: d.name,
            value: set ?? d.defaultValue,
            readOnly: false,
            source: set !== undefined ? Source.DYNAMIC_TOPIC : Source.DEFAULT,
            sensitive: false,
            type: d.type,
            documentation: d.documentation,
          };
        });
      }
      return { ...base, ...ok(), entries: keys === null ? entries : entries.filter((e) => keys.includes(e.name)) };
    });
  }

  async alterConfigs(
    resources: readonly { type: ConfigResourceType; name: string; configs: Readonly<Record<string, string | null>> }[],
    options: { validateOnly: boolean },
  ): Promise<(ItemResult & { type: ConfigResourceType; name: string })[]> {
    this.record('alterConfigs', resources, options);
    return resources.map(({ type, name, configs }) => {
      const t = this.topics.get(name);
      const failure = type !== 'topic' ? fail(ErrorCode.INVALID_REQUEST, 'topics only') : t === undefined ? this.unknownTopic(name) : this.checkConfigs(configs);
      if (failure) return { type, name, ...failure };
      if (!options.validateOnly) {
        t!.configs = Object.fromEntries(Object.entries(configs).filter((e): e is [string, string] => e[1] !== null));
        this.version++;
      }
      return { type, name, ...ok() };
    });
  }

  async incrementalAlterConfigs(
    resources: readonly { type: ConfigResourceType; name: string; ops: readonly { name: string; op: AlterConfigOp; value: string | null }[] }[],
    options: { validateOnly: boolean },
  ): Promise<(ItemResult & { type: ConfigResourceType; name: string })[]> {
    this.record('incrementalAlterConfigs', resources, options);
    return resources.map(({ type, name, ops }) => {
      const t = this.topics.get(name);
      if (type !== 'topic') return { type, name, ...fail(ErrorCode.INVALID_REQUEST, 'topics only') };
      if (t === undefined) return { type, name, ...this.unknownTopic(name) };
      const next: Record<string, string> = { ...t.configs };
      for (const { name: key, op, value } of ops) {
        const def = TOPIC_CONFIGS.find((d) => d.name === key);
        if (def === undefined) return { type, name, ...fail(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${key}`) };
        if ((op === 'append' || op === 'subtract') && def.type !== Type.LIST) {
          return { type, name, ...fail(ErrorCode.INVALID_CONFIG, `Config value ${op} is not allowed for config key: ${key}`) };
        }
        const current = (next[key] ?? def.defaultValue).split(',').filter((v) => v !== '');
        if (op === 'set') next[key] = value!;
        else if (op === 'delete') delete next[key];
        else if (op === 'append') next[key] = [...current, ...value!.split(',').filter((v) => !current.includes(v))].join(',');
        else next[key] = current.filter((v) => !value!.split(',').includes(v)).join(',');
      }
      if (!options.validateOnly) {
        t.configs = next;
        this.version++;
      }
      return { type, name, ...ok() };
    });
  }

  /** The methods an admin handler test uses, as a full ControllerApi; the rest throw. */
  asControllerApi(): ControllerApi {
    return new Proxy(this, {
      get(target, prop, receiver) {
        if (prop in target || typeof prop !== 'string' || prop === 'then') return Reflect.get(target, prop, receiver) as unknown;
        return () => {
          throw new Error(`FakeController does not implement ${prop}`);
        };
      },
    }) as unknown as ControllerApi;
  }

  private checkNewTopic(r: CreateTopicRequest): ItemResult | null {
    if (!LEGAL_TOPIC.test(r.name) || r.name === '.' || r.name === '..') {
      return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name "${r.name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
    }
    if (this.topics.has(r.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${r.name}' already exists.`);
    if (r.numPartitions === 0 || r.numPartitions < -1) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    if (r.replicationFactor !== -1 && r.replicationFactor !== 1) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be 1 (object storage keeps one copy), not ${r.replicationFactor}.`);
    }
    return this.checkConfigs(r.configs);
  }

  private checkConfigs(configs: Readonly<Record<string, string | null>>): ItemResult | null {
    const unknown = Object.keys(configs).find((k) => !TOPIC_CONFIGS.some((d) => d.name === k));
    return unknown === undefined ? null : fail(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${unknown}`);
  }

  private unknownTopic(name: string): ItemResult {
    return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
  }

  private info(t: MutableTopic): TopicInfo {
    return { name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ ...p })), configs: { ...t.configs }, internal: t.internal };
  }

  private newTopicId(): string {
    // Deterministic, distinct and never the zero UUID.
    const bytes = Buffer.alloc(16);
    bytes.writeUInt32BE(0x5a5a0000 + this.nextId++, 12);
    bytes[0] = 0x42;
    return bytes.toString('base64url');
  }

  private record(method: AdminMethods, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }
}
