// Conversions between ControllerApi's TypeScript types and the generated proto messages,
// both ways, used by the server (requests in, responses out) and the client (the
// reverse). Decoding checks what the proto's types cannot say: required sub-messages are
// present, string "enums" hold a known value. A violation is a WireFormatError, which the
// server answers INVALID_ARGUMENT, and the client reports as an internal error.
//
// null <-> absent: ControllerApi's nullable strings are proto3 `optional` fields.

import type { CommitRejection, CommitResult, Extent, ObjectCommit, ProducerBatchRecord, TopicPartition } from '@stratus/partition-index';
import { copyExtent, copyProducerBatch } from '@stratus/partition-index';
import type {
  AlterConfigOp,
  BrokerInfo,
  BrokerState,
  ClusterDescription,
  ClusterMetadata,
  CommittedOffset,
  ConfigEntry,
  ConfigResourceType,
  CreateTopicRequest,
  CreateTopicResult,
  DescribeConfigsResult,
  DrainReason,
  DrainResult,
  ItemResult,
  PartitionInfo,
  RegisteredBroker,
  TopicInfo,
} from '../controller-api.ts';
import { WireFormatError } from './errors.ts';
import { fromPbAcl, toPbAcl } from './acl-convert.ts';
import { fromPbQuotaEntry, toPbQuotaEntry } from './quota-convert.ts';
import { DrainReason as PbDrainReason } from './generated/stratus/controller/v1/controller.ts';
import type * as pb from './generated/stratus/controller/v1/controller.ts';

// --- nullable values --------------------------------------------------------------------

export function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

export function nullable<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new WireFormatError(`${what} is missing`);
  return value;
}

// --- items and errors ---------------------------------------------------------------------

export function toItemError(r: ItemResult): pb.ItemError {
  return { errorCode: r.errorCode, ...(r.errorMessage !== null ? { errorMessage: r.errorMessage } : {}) };
}

/** An absent error is "no error" (proto3's default of 0). */
export function fromItemError(e: pb.ItemError | undefined): ItemResult {
  return { errorCode: e?.errorCode ?? 0, errorMessage: nullable(e?.errorMessage) };
}

export function toTopicPartition(tp: TopicPartition): pb.TopicPartition {
  return { topicId: tp.topicId, partition: tp.partition };
}

export function fromTopicPartition(tp: pb.TopicPartition | undefined, what = 'partition'): TopicPartition {
  const p = required(tp, what);
  return { topicId: p.topicId, partition: p.partition };
}

// --- configs -----------------------------------------------------------------------------------

export function toNullableConfigs(configs: Readonly<Record<string, string | null>>): pb.NullableConfig[] {
  return Object.entries(configs).map(([name, value]) => ({ name, ...(value !== null ? { value } : {}) }));
}

export function fromNullableConfigs(configs: readonly pb.NullableConfig[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const c of configs) {
    if (Object.hasOwn(out, c.name)) throw new WireFormatError(`config ${c.name} is given twice`);
    out[c.name] = nullable(c.value);
  }
  return out;
}

const RESOURCE_TYPES: readonly string[] = ['topic', 'broker'] satisfies ConfigResourceType[];

export function fromResourceType(type: string): ConfigResourceType {
  if (!RESOURCE_TYPES.includes(type)) throw new WireFormatError(`config resource type must be "topic" or "broker", got ${JSON.stringify(type)}`);
  return type as ConfigResourceType;
}

export function fromResource(r: pb.ConfigResource | undefined): { type: ConfigResourceType; name: string } {
  const resource = required(r, 'config resource');
  return { type: fromResourceType(resource.type), name: resource.name };
}

const ALTER_OPS: readonly string[] = ['set', 'delete', 'append', 'subtract'] satisfies AlterConfigOp[];

export function fromAlterOp(op: string): AlterConfigOp {
  if (!ALTER_OPS.includes(op)) throw new WireFormatError(`config op must be one of ${ALTER_OPS.join(', ')}, got ${JSON.stringify(op)}`);
  return op as AlterConfigOp;
}

export function toConfigEntry(e: ConfigEntry): pb.ConfigEntry {
  return {
    name: e.name,
    ...(e.value !== null ? { value: e.value } : {}),
    readOnly: e.readOnly,
    source: e.source,
    sensitive: e.sensitive,
    type: e.type,
    ...(e.documentation !== null ? { documentation: e.documentation } : {}),
  };
}

export function fromConfigEntry(e: pb.ConfigEntry): ConfigEntry {
  return {
    name: e.name,
    value: nullable(e.value),
    readOnly: e.readOnly,
    source: e.source,
    sensitive: e.sensitive,
    type: e.type,
    documentation: nullable(e.documentation),
  };
}

export function toDescribeConfigsResult(r: DescribeConfigsResult): pb.DescribeConfigsResult {
  return { resource: { type: r.resourceType, name: r.resourceName }, error: toItemError(r), entries: r.entries.map(toConfigEntry) };
}

export function fromDescribeConfigsResult(r: pb.DescribeConfigsResult): DescribeConfigsResult {
  const resource = fromResource(r.resource);
  return { ...fromItemError(r.error), resourceType: resource.type, resourceName: resource.name, entries: r.entries.map(fromConfigEntry) };
}

// --- metadata ------------------------------------------------------------------------------------

export function toBroker(b: BrokerInfo): pb.Broker {
  const endpoints = (b.endpoints ?? []).map((e) => ({ listener: e.listener, host: e.host, port: e.port }));
  return { nodeId: b.nodeId, host: b.host, port: b.port, ...(b.rack !== null ? { rack: b.rack } : {}), endpoints };
}

/** An empty endpoint list is a broker from before listeners: BrokerInfo without endpoints. */
export function fromBroker(b: pb.Broker | undefined): BrokerInfo {
  const broker = required(b, 'broker');
  const endpoints = broker.endpoints.length > 0 ? { endpoints: broker.endpoints.map((e) => ({ listener: e.listener, host: e.host, port: e.port })) } : {};
  return { nodeId: broker.nodeId, host: broker.host, port: broker.port, rack: nullable(broker.rack), ...endpoints };
}

export function toRegisteredBroker(b: RegisteredBroker): pb.RegisteredBroker {
  return { broker: toBroker(b), fenced: b.fenced, draining: b.draining };
}

export function fromRegisteredBroker(b: pb.RegisteredBroker): RegisteredBroker {
  return { ...fromBroker(b.broker), fenced: b.fenced, draining: b.draining };
}

export function toPartitionInfo(p: PartitionInfo): pb.PartitionInfo {
  return { partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, ...(p.movingTo !== undefined ? { movingTo: p.movingTo } : {}) };
}

export function fromPartitionInfo(p: pb.PartitionInfo): PartitionInfo {
  return { partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, ...(p.movingTo !== undefined ? { movingTo: p.movingTo } : {}) };
}

export function toTopicInfo(t: TopicInfo): pb.TopicInfo {
  return {
    name: t.name,
    topicId: t.topicId,
    partitions: t.partitions.map(toPartitionInfo),
    configs: { ...t.configs },
    internal: t.internal,
  };
}

export function fromTopicInfo(t: pb.TopicInfo): TopicInfo {
  return {
    name: t.name,
    topicId: t.topicId,
    partitions: t.partitions.map(fromPartitionInfo),
    configs: { ...t.configs },
    internal: t.internal,
  };
}

export function toClusterMetadata(m: ClusterMetadata): pb.ClusterMetadata {
  return { clusterId: m.clusterId, controllerId: m.controllerId, brokers: m.brokers.map(toRegisteredBroker), topics: m.topics.map(toTopicInfo), version: m.version, acls: (m.acls ?? []).map(toPbAcl), quotas: (m.quotas ?? []).map(toPbQuotaEntry), scramVersion: m.scramVersion ?? 0 };
}

export function fromClusterMetadata(m: pb.ClusterMetadata | undefined): ClusterMetadata {
  const md = required(m, 'metadata');
  return {
    clusterId: md.clusterId,
    controllerId: md.controllerId,
    brokers: md.brokers.map(fromRegisteredBroker),
    topics: md.topics.map(fromTopicInfo),
    version: md.version,
    acls: md.acls.map(fromPbAcl),
    quotas: md.quotas.map(fromPbQuotaEntry),
    scramVersion: md.scramVersion,
  };
}

// --- cluster: brokers, leases, moves ----------------------------------------------------------------

export function toDrainReason(r: DrainReason | null): pb.DrainReason {
  if (r === null) return PbDrainReason.DRAIN_REASON_UNSPECIFIED;
  return r === 'shutdown' ? PbDrainReason.DRAIN_REASON_SHUTDOWN : PbDrainReason.DRAIN_REASON_OPERATOR;
}

/** A request's reason: UNSPECIFIED is what a client from before reasons sends, an operator's drain (as ControllerApi's default). */
export function fromRequestDrainReason(r: pb.DrainReason): DrainReason {
  if (r === PbDrainReason.DRAIN_REASON_UNSPECIFIED || r === PbDrainReason.DRAIN_REASON_OPERATOR) return 'operator';
  if (r === PbDrainReason.DRAIN_REASON_SHUTDOWN) return 'shutdown';
  throw new WireFormatError(`unknown drain reason ${String(r)}`);
}

/** A state's reason: UNSPECIFIED while not draining; a draining broker without one (a controller from before reasons) was drained by an operator. */
export function fromStateDrainReason(draining: boolean, r: pb.DrainReason): DrainReason | null {
  if (!draining) return null;
  return r === PbDrainReason.DRAIN_REASON_SHUTDOWN ? 'shutdown' : 'operator';
}

export function toBrokerState(b: BrokerState): pb.BrokerState {
  return { nodeId: b.nodeId, brokerEpoch: b.brokerEpoch, leaseExpiresAtMs: b.leaseExpiresAtMs, fenced: b.fenced, draining: b.draining, drainReason: toDrainReason(b.drainReason), suspected: b.suspected, leaderOf: b.leaderOf };
}

export function fromBrokerState(b: pb.BrokerState): BrokerState {
  return {
    nodeId: b.nodeId,
    brokerEpoch: b.brokerEpoch,
    leaseExpiresAtMs: b.leaseExpiresAtMs,
    fenced: b.fenced,
    draining: b.draining,
    drainReason: fromStateDrainReason(b.draining, b.drainReason),
    suspected: b.suspected,
    leaderOf: b.leaderOf,
  };
}

export function fromDrainBrokerResponse(r: pb.DrainBrokerResponse, item: ItemResult): DrainResult {
  return { ...item, partitionsToMove: r.partitionsToMove, draining: r.draining, drainReason: fromStateDrainReason(r.draining, r.drainReason) };
}

export function toClusterDescription(d: ClusterDescription): pb.DescribeClusterResponse {
  return {
    metadata: toClusterMetadata(d.metadata),
    brokers: d.brokers.map(toBrokerState),
    moves: d.moves.map((m) => ({ partition: toTopicPartition(m), from: m.from, to: m.to, startedAtMs: m.startedAtMs })),
  };
}

export function fromClusterDescription(d: pb.DescribeClusterResponse): ClusterDescription {
  return {
    metadata: fromClusterMetadata(d.metadata),
    brokers: d.brokers.map(fromBrokerState),
    moves: d.moves.map((m) => ({ ...fromTopicPartition(m.partition, 'move partition'), from: m.from, to: m.to, startedAtMs: m.startedAtMs })),
  };
}

export function toReassignment(a: TopicPartition & { readonly leader: number }): pb.PartitionAssignment {
  return { topicId: a.topicId, partition: a.partition, leader: a.leader };
}

export function fromReassignment(a: pb.PartitionAssignment): TopicPartition & { leader: number } {
  return { topicId: a.topicId, partition: a.partition, leader: a.leader };
}

// --- topics ----------------------------------------------------------------------------------------

export function toCreateTopicRequest(r: CreateTopicRequest): pb.CreateTopicRequest {
  return { name: r.name, numPartitions: r.numPartitions, replicationFactor: r.replicationFactor, configs: toNullableConfigs(r.configs) };
}

export function fromCreateTopicRequest(r: pb.CreateTopicRequest): CreateTopicRequest {
  return { name: r.name, numPartitions: r.numPartitions, replicationFactor: r.replicationFactor, configs: fromNullableConfigs(r.configs) };
}

export function toCreateTopicResult(r: CreateTopicResult): pb.CreateTopicResult {
  return { name: r.name, error: toItemError(r), ...(r.topic !== null ? { topic: toTopicInfo(r.topic) } : {}) };
}

export function fromCreateTopicResult(r: pb.CreateTopicResult): CreateTopicResult {
  return { name: r.name, ...fromItemError(r.error), topic: r.topic !== undefined ? fromTopicInfo(r.topic) : null };
}

// --- the partition index ---------------------------------------------------------------------------

export function toExtent(e: Extent): pb.Extent {
  return copyExtent(e);
}

export function fromExtent(e: pb.Extent): Extent {
  return copyExtent(e);
}

export function toProducerBatch(b: ProducerBatchRecord): pb.ProducerBatch {
  return copyProducerBatch(b);
}

export function fromProducerBatch(b: pb.ProducerBatch): ProducerBatchRecord {
  return copyProducerBatch(b);
}

export function toCommitRequest(c: ObjectCommit): pb.CommitObjectRequest {
  return { objectKey: c.objectKey, objectSize: c.objectSize, extents: c.extents.map(toExtent), producers: (c.producers ?? []).map(toProducerBatch) };
}

export function fromCommitRequest(c: pb.CommitObjectRequest): ObjectCommit {
  return {
    objectKey: c.objectKey,
    objectSize: c.objectSize,
    extents: c.extents.map(fromExtent),
    ...(c.producers.length > 0 ? { producers: c.producers.map(fromProducerBatch) } : {}),
  };
}

const REJECTIONS: readonly string[] = ['fenced', 'offset_mismatch', 'unknown_partition', 'refused'] satisfies CommitRejection[];

export function toCommitRejections(r: CommitResult): pb.CommitRejection[] {
  return r.rejected.map((x) => ({ topicId: x.topicId, partition: x.partition, reason: x.reason, detail: x.detail }));
}

export function fromCommitRejections(rejected: readonly pb.CommitRejection[]): CommitResult {
  return {
    rejected: rejected.map((x) => {
      if (!REJECTIONS.includes(x.reason)) throw new WireFormatError(`commit rejection reason ${JSON.stringify(x.reason)} is unknown`);
      return { topicId: x.topicId, partition: x.partition, reason: x.reason as CommitRejection, detail: x.detail };
    }),
  };
}

// --- group offsets -----------------------------------------------------------------------------------

export function toCommittedOffset(tp: TopicPartition, o: CommittedOffset): pb.CommittedOffset {
  return {
    topicId: tp.topicId,
    partition: tp.partition,
    offset: o.offset,
    leaderEpoch: o.leaderEpoch,
    ...(o.metadata !== null ? { metadata: o.metadata } : {}),
    commitTimestampMs: o.commitTimestampMs,
  };
}

export function fromCommittedOffset(o: pb.CommittedOffset): CommittedOffset {
  return { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: nullable(o.metadata), commitTimestampMs: o.commitTimestampMs };
}
