// The Kafka side of `stratus admin`: a bootstrap connection, the cluster's metadata and a
// connection per broker, so each request goes where Kafka wants it — ListOffsets to a
// partition's leader, group requests to the group's coordinator, topic changes to any
// broker (a Stratus broker forwards them to the controller). Works against `stratus dev`
// and a cluster alike. The API versions are fixed ones every Stratus broker serves.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { ApiKeyNumber, Input, MetadataResponse, RequestTypes, ResponseTypes } from '@stratus/protocol';
import { KafkaCallError, KafkaConnection } from './kafka-connection.ts';
import { ADMIN_EXIT, AdminExit, describeItemError, itemError } from './output.ts';

/** The version of each API admin sends (within what services/broker/src/handlers accept). */
export const KAFKA_API_VERSIONS = {
  [ApiKey.Metadata]: 12,
  [ApiKey.CreateTopics]: 7,
  [ApiKey.DeleteTopics]: 6,
  [ApiKey.CreatePartitions]: 3,
  [ApiKey.DescribeConfigs]: 4,
  [ApiKey.IncrementalAlterConfigs]: 1,
  [ApiKey.ListOffsets]: 7,
  [ApiKey.ListGroups]: 4,
  [ApiKey.DescribeGroups]: 5,
  [ApiKey.FindCoordinator]: 4,
  [ApiKey.OffsetFetch]: 8,
  [ApiKey.OffsetCommit]: 8,
} as const satisfies Partial<Record<ApiKeyNumber, number>>;

type AdminApi = keyof typeof KAFKA_API_VERSIONS;

export interface KafkaAdminOptions {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_KAFKA_OPTIONS: KafkaAdminOptions = { connectTimeoutMs: 5_000, requestTimeoutMs: 30_000 };

/** ListOffsets' special timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface PartitionOffsetQuery {
  readonly topic: string;
  readonly partition: number;
  /** LATEST_TIMESTAMP, EARLIEST_TIMESTAMP or epoch ms. */
  readonly timestamp: number;
}

export interface PartitionOffsetAnswer extends PartitionOffsetQuery {
  readonly errorCode: number;
  /** -1 when no record has a timestamp at or after the one asked for. */
  readonly offset: number;
}

export class KafkaAdmin {
  /** What admin was given to start from (host:port). */
  readonly bootstrap: readonly string[];
  private readonly options: KafkaAdminOptions;
  private readonly byNode = new Map<number, Promise<KafkaConnection>>();
  private readonly opened: Promise<KafkaConnection>[] = [];
  private bootstrapConnection: KafkaConnection;
  private cached: MetadataResponse | undefined;

  private constructor(bootstrap: readonly string[], first: KafkaConnection, options: KafkaAdminOptions) {
    this.bootstrap = bootstrap;
    this.bootstrapConnection = first;
    this.options = options;
    this.opened.push(Promise.resolve(first));
  }

  /** Connects to the first bootstrap address that answers; KafkaCallError naming each failure when none does. */
  static async connect(bootstrap: readonly string[], options: KafkaAdminOptions = DEFAULT_KAFKA_OPTIONS): Promise<KafkaAdmin> {
    const failures: string[] = [];
    for (const address of bootstrap) {
      const { host, port } = splitAddress(address);
      try {
        return new KafkaAdmin(bootstrap, await KafkaConnection.connect(host, port, options.connectTimeoutMs, options.requestTimeoutMs), options);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    throw new KafkaCallError(failures.join('; '));
  }

  /** Any broker (the bootstrap one). */
  call<K extends AdminApi>(apiKey: K, body: Input<RequestTypes[K]>): Promise<ResponseTypes[K]> {
    return this.bootstrapConnection.request(apiKey, KAFKA_API_VERSIONS[apiKey], body);
  }

  /** Broker `nodeId`, by its address in the metadata. */
  async callNode<K extends AdminApi>(nodeId: number, apiKey: K, body: Input<RequestTypes[K]>): Promise<ResponseTypes[K]> {
    return (await this.connectionTo(nodeId)).request(apiKey, KAFKA_API_VERSIONS[apiKey], body);
  }

  /** Every topic's metadata (topics null) or the named ones'. `fresh`: ask again rather than use the last answer. */
  async metadata(topics: readonly string[] | null = null, fresh = false): Promise<MetadataResponse> {
    if (topics === null && !fresh && this.cached !== undefined) return this.cached;
    const m = await this.call(ApiKey.Metadata, { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation: false });
    if (topics === null) this.cached = m;
    return m;
  }

  /** The live brokers' ids, in order. */
  async brokerIds(): Promise<number[]> {
    return (await this.metadata()).brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  }

  /** The group's coordinator; a Kafka error for the group (none available yet, say) ends the command with exit 1. */
  async coordinatorOf(group: string): Promise<number> {
    const r = await this.call(ApiKey.FindCoordinator, { keyType: 0, coordinatorKeys: [group] });
    const c = r.coordinators[0];
    if (c === undefined) throw new KafkaCallError(`FindCoordinator for group ${group} answered nothing`);
    const error = itemError(c);
    if (error !== null) throw new AdminExit(ADMIN_EXIT.failed, `no coordinator for group ${group}: ${describeItemError(error)} (the brokers may still be starting; try again)`);
    return c.nodeId;
  }

  /**
   * ListOffsets for each query, asked of the partition's leader: one request per leader
   * and round — a request names a partition once (Kafka refuses duplicates), so a
   * partition asked for several timestamps (earliest and latest) takes several rounds.
   */
  async listOffsets(queries: readonly PartitionOffsetQuery[]): Promise<PartitionOffsetAnswer[]> {
    const rounds: PartitionOffsetQuery[][] = [];
    const seen = new Map<string, number>();
    for (const q of queries) {
      const key = `${q.topic}\u0000${q.partition}`;
      const round = seen.get(key) ?? 0;
      seen.set(key, round + 1);
      (rounds[round] ??= []).push(q);
    }
    const answers = new Map<PartitionOffsetQuery, PartitionOffsetAnswer>();
    for (const round of rounds) for (const a of await this.listOffsetsOnce(round)) answers.set(a.query, a.answer);
    return queries.map((q) => answers.get(q)!);
  }

  private async listOffsetsOnce(queries: readonly PartitionOffsetQuery[]): Promise<{ query: PartitionOffsetQuery; answer: PartitionOffsetAnswer }[]> {
    const meta = await this.metadata(uniq(queries.map((q) => q.topic)), true);
    const leaderOf = new Map<string, number>();
    for (const t of meta.topics) for (const p of t.partitions) leaderOf.set(`${t.name}\u0000${p.partitionIndex}`, p.leaderId);
    const byLeader = new Map<number, PartitionOffsetQuery[]>();
    const answers = new Map<PartitionOffsetQuery, PartitionOffsetAnswer>();
    for (const q of queries) {
      const leader = leaderOf.get(`${q.topic}\u0000${q.partition}`);
      if (leader === undefined || leader < 0) {
        answers.set(q, { ...q, errorCode: leader === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.LEADER_NOT_AVAILABLE, offset: -1 });
        continue;
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), q]);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, qs]) => {
        const topics = uniq(qs.map((q) => q.topic)).map((name) => ({
          name,
          partitions: qs.filter((q) => q.topic === name).map((q) => ({ partitionIndex: q.partition, timestamp: q.timestamp, currentLeaderEpoch: -1 })),
        }));
        const r = await this.callNode(leader, ApiKey.ListOffsets, { replicaId: -1, isolationLevel: 0, topics });
        const got = new Map<string, { errorCode: number; offset: number }>();
        for (const t of r.topics) for (const p of t.partitions) got.set(`${t.name}\u0000${p.partitionIndex}`, p);
        for (const q of qs) {
          const p = got.get(`${q.topic}\u0000${q.partition}`);
          answers.set(q, { ...q, errorCode: p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, offset: p?.offset ?? -1 });
        }
      }),
    );
    return queries.map((q) => ({ query: q, answer: answers.get(q)! }));
  }

  async close(): Promise<void> {
    for (const c of await Promise.allSettled(this.opened)) if (c.status === 'fulfilled') c.value.close();
  }

  private async connectionTo(nodeId: number): Promise<KafkaConnection> {
    let c = this.byNode.get(nodeId);
    if (c === undefined) {
      const broker = (await this.metadata()).brokers.find((b) => b.nodeId === nodeId) ?? (await this.metadata(null, true)).brokers.find((b) => b.nodeId === nodeId);
      if (broker === undefined) throw new KafkaCallError(`broker ${nodeId} is not in the cluster's metadata (not live?)`);
      c = this.bootstrapConnection.address === `${broker.host}:${broker.port}` ? Promise.resolve(this.bootstrapConnection) : KafkaConnection.connect(broker.host, broker.port, this.options.connectTimeoutMs, this.options.requestTimeoutMs);
      this.byNode.set(nodeId, c);
      this.opened.push(c);
    }
    return c;
  }
}

/** "host:port", "[::1]:9092". */
export function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address.trim());
  if (m === null) throw new KafkaCallError(`${JSON.stringify(address)} is not HOST:PORT`);
  return { host: m[1]!, port: Number(m[2]) };
}

function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
