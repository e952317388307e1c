// Every API the broker serves, against Kafka's required operations: one row per API (and
// per alternative grant), each naming the ACLs that make a principal allowed. For each row,
// on a broker with the authorizer on (default deny):
//   - a principal without ACLs gets Kafka's authorization error, per item;
//   - a principal holding exactly the row's ACLs gets the very answer a broker without an
//     authorizer gives (the same error codes: authorization changed nothing for it);
//   - a super user gets it too.
// A last check holds the table to the broker: every API key it advertises has a row or is
// named as needing no authorization (Kafka's list).
//
// Principals are set through DataPathWorld's test-only session (no network code sets it
// there); SASL and TLS set the same session field in production.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, errorName } from '@stratus/protocol';
import type { ApiKeyNumber, Input, RequestTypes, ResponseTypes } from '@stratus/protocol';
import { AclOp, PatternType, Permission, ResourceType } from '@stratus/controller';
import type { AclBinding, AclOpCode, ResourceTypeCode } from '@stratus/controller';
import { DataPathWorld } from '../data-path/support/world.ts';
import { batch } from '../data-path/support/kafka.ts';

const ADMIN = 'User:admin';
const NOBODY = 'User:nobody';
const E = ErrorCode;

interface Grant {
  readonly type: ResourceTypeCode;
  /** Resource name; 'TOPIC' and 'GROUP' stand for the row's own topic and group. */
  readonly name: string;
  readonly op: AclOpCode;
  readonly pattern?: 'prefixed';
}

interface Names {
  readonly topic: string;
  readonly group: string;
}

interface Row<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly name: string;
  readonly apiKey: K;
  readonly version: number;
  /** ACLs that allow the request (all needed). */
  readonly grants: readonly Grant[];
  /** Topics to create first (the row's own topic is always created unless `noTopic`). */
  readonly noTopic?: boolean;
  /** Done as the super user before the row's calls (in both worlds). */
  readonly setup?: (w: DataPathWorld, n: Names) => Promise<void>;
  readonly request: (w: DataPathWorld, n: Names) => Input<RequestTypes[K]>;
  /** The answer's error codes that authorization may change. */
  readonly codes: (r: ResponseTypes[K]) => number[];
  /** What a principal without ACLs gets. */
  readonly denied: readonly number[];
  /** The principal of the denied call (default User:nobody, who holds no ACL). */
  readonly deniedAs?: string;
  /** What an allowed principal gets when it differs from a broker without an authorizer (the ACL APIs answer SECURITY_DISABLED there). */
  readonly allowed?: readonly number[];
}

function row<K extends ApiKeyNumber>(r: Row<K>): Row {
  return r as unknown as Row;
}

const cluster = (op: AclOpCode): Grant => ({ type: ResourceType.CLUSTER, name: 'kafka-cluster', op });
const topic = (op: AclOpCode): Grant => ({ type: ResourceType.TOPIC, name: 'TOPIC', op });
const group = (op: AclOpCode): Grant => ({ type: ResourceType.GROUP, name: 'GROUP', op });

async function join(w: DataPathWorld, groupId: string): Promise<void> {
  const first = await w.call(ApiKey.JoinGroup, 5, { groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }, { principal: ADMIN });
  const second = await w.call(ApiKey.JoinGroup, 5, { groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: first.memberId, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }, { principal: ADMIN });
  if (second.errorCode !== 0) throw new Error(`join ${groupId}: ${errorName(second.errorCode)}`);
}

async function commitOffset(w: DataPathWorld, n: Names): Promise<void> {
  const r = await w.call(ApiKey.OffsetCommit, 8, { groupId: n.group, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, committedOffset: 0 }] }] }, { principal: ADMIN });
  if (r.topics[0]!.partitions[0]!.errorCode !== 0) throw new Error(`commit for ${n.group}: ${errorName(r.topics[0]!.partitions[0]!.errorCode)}`);
}

const ROWS: Row[] = [
  row({
    name: 'Produce: WRITE on the topic',
    apiKey: ApiKey.Produce,
    version: 9,
    grants: [topic(AclOp.WRITE)],
    request: (_w, n) => ({ acks: -1, timeoutMs: 10_000, topicData: [{ name: n.topic, partitionData: [{ index: 0, records: batch(['v']) }] }] }),
    codes: (r) => r.responses.flatMap((t) => t.partitionResponses.map((p) => p.errorCode)),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'Produce to a topic that does not exist: TOPIC_AUTHORIZATION_FAILED without WRITE (existence not disclosed)',
    apiKey: ApiKey.Produce,
    version: 9,
    noTopic: true,
    grants: [topic(AclOp.WRITE)],
    request: (_w, n) => ({ acks: -1, timeoutMs: 10_000, topicData: [{ name: n.topic, partitionData: [{ index: 0, records: batch(['v']) }] }] }),
    codes: (r) => r.responses.flatMap((t) => t.partitionResponses.map((p) => p.errorCode)),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'Fetch: READ on the topic',
    apiKey: ApiKey.Fetch,
    version: 12,
    grants: [topic(AclOp.READ)],
    request: (_w, n) => ({ replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: n.topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] }),
    codes: (r) => r.responses.flatMap((t) => t.partitions.map((p) => p.errorCode)),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'Fetch by topic id (v13+): READ on the topic',
    apiKey: ApiKey.Fetch,
    version: 13,
    grants: [topic(AclOp.READ)],
    request: (w, n) => ({ replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topicId: w.topic(n.topic)!.topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] }),
    codes: (r) => r.responses.flatMap((t) => t.partitions.map((p) => p.errorCode)),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'ListOffsets: DESCRIBE on the topic (READ implies it)',
    apiKey: ApiKey.ListOffsets,
    version: 7,
    grants: [topic(AclOp.READ)],
    request: (_w, n) => ({ replicaId: -1, topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] }),
    codes: (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'Metadata of a named topic: DESCRIBE on the topic',
    apiKey: ApiKey.Metadata,
    version: 12,
    grants: [topic(AclOp.DESCRIBE)],
    request: (_w, n) => ({ topics: [{ name: n.topic }], allowAutoTopicCreation: false }),
    codes: (r) => r.topics.map((t) => t.errorCode),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'Metadata of a missing topic: UNKNOWN_TOPIC_OR_PARTITION only for who may DESCRIBE it',
    apiKey: ApiKey.Metadata,
    version: 12,
    noTopic: true,
    grants: [topic(AclOp.DESCRIBE)],
    request: (_w, n) => ({ topics: [{ name: n.topic }], allowAutoTopicCreation: false }),
    codes: (r) => r.topics.map((t) => t.errorCode),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'Metadata by topic id (v12): TOPIC_AUTHORIZATION_FAILED without the name',
    apiKey: ApiKey.Metadata,
    version: 12,
    grants: [topic(AclOp.DESCRIBE)],
    request: (w, n) => ({ topics: [{ name: null, topicId: w.topic(n.topic)!.topicId }], allowAutoTopicCreation: false }),
    codes: (r) => r.topics.flatMap((t) => [t.errorCode, t.name === null ? 0 : 1]),
    denied: [E.TOPIC_AUTHORIZATION_FAILED, 0],
  }),
  row({
    name: 'Metadata listing every topic: only DESCRIBE-able ones are shown',
    apiKey: ApiKey.Metadata,
    version: 12,
    grants: [{ type: ResourceType.TOPIC, name: 'TOPIC', op: AclOp.DESCRIBE }],
    request: () => ({ topics: null }),
    // The row's topic is the only one its principal may see; the open broker shows it among others.
    codes: (r) => [r.topics.length],
    denied: [0],
    allowed: [1],
  }),
  row({
    name: 'OffsetCommit: READ on the group and on the topic',
    apiKey: ApiKey.OffsetCommit,
    version: 8,
    grants: [group(AclOp.READ), topic(AclOp.READ)],
    request: (_w, n) => ({ groupId: n.group, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, committedOffset: 0 }] }] }),
    codes: (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
    denied: [E.GROUP_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'OffsetCommit with READ on the group only: TOPIC_AUTHORIZATION_FAILED for the topic',
    apiKey: ApiKey.OffsetCommit,
    version: 8,
    grants: [group(AclOp.READ), topic(AclOp.READ)],
    deniedAs: 'User:group-only',
    setup: async (w, n) => {
      await w.controller.createAcls([binding(n, group(AclOp.READ), 'User:group-only')]);
    },
    request: (_w, n) => ({ groupId: n.group, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, committedOffset: 0 }] }] }),
    codes: (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'OffsetFetch: DESCRIBE on the group and on the topic',
    apiKey: ApiKey.OffsetFetch,
    version: 7,
    grants: [group(AclOp.DESCRIBE), topic(AclOp.DESCRIBE)],
    setup: commitOffset,
    request: (_w, n) => ({ groupId: n.group, topics: [{ name: n.topic, partitionIndexes: [0] }] }),
    codes: (r) => [r.errorCode, ...r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))],
    denied: [E.GROUP_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'FindCoordinator: DESCRIBE on the group',
    apiKey: ApiKey.FindCoordinator,
    version: 3,
    grants: [group(AclOp.DESCRIBE)],
    request: (_w, n) => ({ key: n.group, keyType: 0 }),
    codes: (r) => [r.errorCode],
    denied: [E.GROUP_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'JoinGroup: READ on the group',
    apiKey: ApiKey.JoinGroup,
    version: 5,
    grants: [group(AclOp.READ)],
    request: (_w, n) => ({ groupId: n.group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }),
    codes: (r) => [r.errorCode],
    denied: [E.GROUP_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'Heartbeat: READ on the group',
    apiKey: ApiKey.Heartbeat,
    version: 3,
    grants: [group(AclOp.READ)],
    request: (_w, n) => ({ groupId: n.group, generationId: 1, memberId: 'm' }),
    codes: (r) => [r.errorCode],
    denied: [E.GROUP_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'LeaveGroup: READ on the group',
    apiKey: ApiKey.LeaveGroup,
    version: 3,
    grants: [group(AclOp.READ)],
    request: (_w, n) => ({ groupId: n.group, members: [{ memberId: 'm' }] }),
    codes: (r) => [r.errorCode, ...r.members.map((m) => m.errorCode)],
    denied: [E.GROUP_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'SyncGroup: READ on the group',
    apiKey: ApiKey.SyncGroup,
    version: 3,
    grants: [group(AclOp.READ)],
    request: (_w, n) => ({ groupId: n.group, generationId: 1, memberId: 'm', assignments: [] }),
    codes: (r) => [r.errorCode],
    denied: [E.GROUP_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'DescribeGroups: DESCRIBE on the group',
    apiKey: ApiKey.DescribeGroups,
    version: 5,
    grants: [group(AclOp.DESCRIBE)],
    setup: (w, n) => join(w, n.group),
    request: (_w, n) => ({ groups: [n.group] }),
    codes: (r) => r.groups.map((g) => g.errorCode),
    denied: [E.GROUP_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'ListGroups: the groups the principal may DESCRIBE',
    apiKey: ApiKey.ListGroups,
    version: 4,
    grants: [group(AclOp.DESCRIBE)],
    setup: (w, n) => join(w, n.group),
    request: () => ({ statesFilter: [] }),
    codes: (r) => [r.errorCode, r.groups.length],
    denied: [E.NONE, 0],
    allowed: [E.NONE, 1],
  }),
  row({
    name: 'ListGroups: every group with DESCRIBE on the cluster',
    apiKey: ApiKey.ListGroups,
    version: 4,
    grants: [cluster(AclOp.DESCRIBE)],
    setup: (w, n) => join(w, n.group),
    request: () => ({ statesFilter: [] }),
    // The open broker's answer: whatever groups exist by then, all of them.
    codes: (r) => [r.errorCode, r.groups.length > 1 ? 1 : 0],
    denied: [E.NONE, 0],
  }),
  row({
    name: 'CreateTopics: CREATE on the cluster',
    apiKey: ApiKey.CreateTopics,
    version: 5,
    noTopic: true,
    grants: [cluster(AclOp.CREATE)],
    request: (_w, n) => ({ topics: [{ name: n.topic, numPartitions: 1, replicationFactor: -1 }], timeoutMs: 10_000 }),
    codes: (r) => r.topics.map((t) => t.errorCode),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'CreateTopics: or CREATE on the topic (its configs need DESCRIBE_CONFIGS too)',
    apiKey: ApiKey.CreateTopics,
    version: 5,
    noTopic: true,
    grants: [topic(AclOp.CREATE), topic(AclOp.DESCRIBE_CONFIGS)],
    request: (_w, n) => ({ topics: [{ name: n.topic, numPartitions: 1, replicationFactor: -1 }], timeoutMs: 10_000 }),
    codes: (r) => r.topics.flatMap((t) => [t.errorCode, t.topicConfigErrorCode]),
    denied: [E.TOPIC_AUTHORIZATION_FAILED, E.NONE],
  }),
  row({
    name: 'DeleteTopics by name: DELETE on the topic',
    apiKey: ApiKey.DeleteTopics,
    version: 5,
    grants: [topic(AclOp.DELETE)],
    request: (_w, n) => ({ topicNames: [n.topic], timeoutMs: 10_000 }),
    codes: (r) => r.responses.map((t) => t.errorCode),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'DeleteTopics by id: UNKNOWN_TOPIC_ID without DESCRIBE, as for an unknown id',
    apiKey: ApiKey.DeleteTopics,
    version: 6,
    grants: [topic(AclOp.DELETE)],
    request: (w, n) => ({ topics: [{ name: null, topicId: w.topic(n.topic)!.topicId }], timeoutMs: 10_000 }),
    codes: (r) => r.responses.map((t) => t.errorCode),
    denied: [E.UNKNOWN_TOPIC_ID],
  }),
  row({
    name: 'DeleteRecords: DELETE on the topic',
    apiKey: ApiKey.DeleteRecords,
    version: 2,
    grants: [topic(AclOp.DELETE)],
    request: (_w, n) => ({ topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, offset: 0 }] }], timeoutMs: 10_000 }),
    codes: (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'InitProducerId: IDEMPOTENT_WRITE on the cluster',
    apiKey: ApiKey.InitProducerId,
    version: 4,
    grants: [cluster(AclOp.IDEMPOTENT_WRITE)],
    request: () => ({ transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }),
    codes: (r) => [r.errorCode],
    denied: [E.CLUSTER_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'InitProducerId: or WRITE on any topic (Kafka >= 2.8)',
    apiKey: ApiKey.InitProducerId,
    version: 4,
    grants: [{ type: ResourceType.TOPIC, name: 'TOPIC', op: AclOp.WRITE, pattern: 'prefixed' }],
    request: () => ({ transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }),
    codes: (r) => [r.errorCode],
    denied: [E.CLUSTER_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'OffsetForLeaderEpoch: DESCRIBE on the topic',
    apiKey: ApiKey.OffsetForLeaderEpoch,
    version: 4,
    grants: [topic(AclOp.DESCRIBE)],
    request: (_w, n) => ({ replicaId: -1, topics: [{ topic: n.topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }),
    codes: (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'DescribeAcls: DESCRIBE on the cluster',
    apiKey: ApiKey.DescribeAcls,
    version: 3,
    grants: [cluster(AclOp.DESCRIBE)],
    request: () => ({ resourceTypeFilter: ResourceType.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: AclOp.ANY, permissionType: Permission.ANY }),
    codes: (r) => [r.errorCode],
    denied: [E.CLUSTER_AUTHORIZATION_FAILED],
    allowed: [E.NONE],
  }),
  row({
    name: 'CreateAcls: ALTER on the cluster',
    apiKey: ApiKey.CreateAcls,
    version: 3,
    grants: [cluster(AclOp.ALTER)],
    request: (_w, n) => ({ creations: [{ resourceType: ResourceType.TOPIC, resourceName: n.topic, resourcePatternType: PatternType.LITERAL, principal: 'User:x', host: '*', operation: AclOp.READ, permissionType: Permission.ALLOW }] }),
    codes: (r) => r.results.map((x) => x.errorCode),
    denied: [E.CLUSTER_AUTHORIZATION_FAILED],
    allowed: [E.NONE],
  }),
  row({
    name: 'DeleteAcls: ALTER on the cluster',
    apiKey: ApiKey.DeleteAcls,
    version: 3,
    grants: [cluster(AclOp.ALTER)],
    request: () => ({ filters: [{ resourceTypeFilter: ResourceType.TOPIC, resourceNameFilter: 'no-such', patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: AclOp.ANY, permissionType: Permission.ANY }] }),
    codes: (r) => r.filterResults.map((x) => x.errorCode),
    denied: [E.CLUSTER_AUTHORIZATION_FAILED],
    allowed: [E.NONE],
  }),
  row({
    name: 'DescribeUserScramCredentials: DESCRIBE on the cluster',
    apiKey: ApiKey.DescribeUserScramCredentials,
    version: 0,
    grants: [cluster(AclOp.DESCRIBE)],
    noTopic: true,
    setup: async (w, n) => {
      await w.controller.alterScramCredentials([], [{ user: `${n.topic}-user`, mechanism: 2, iterations: 4096, salt: Buffer.alloc(16, 1), storedKey: Buffer.alloc(64, 2), serverKey: Buffer.alloc(64, 3) }]);
    },
    request: (_w, n) => ({ users: [{ name: `${n.topic}-user` }, { name: 'no-such-user' }] }),
    codes: (r) => [r.errorCode, ...r.results.map((x) => x.errorCode)],
    denied: [E.CLUSTER_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'AlterUserScramCredentials: ALTER on the cluster',
    apiKey: ApiKey.AlterUserScramCredentials,
    version: 0,
    grants: [cluster(AclOp.ALTER)],
    noTopic: true,
    request: (_w, n) => ({ deletions: [{ name: 'no-such-user', mechanism: 2 }], upsertions: [{ name: `${n.topic}-user`, mechanism: 2, iterations: 4096, salt: Buffer.alloc(16, 1), saltedPassword: Buffer.alloc(64, 4) }] }),
    codes: (r) => r.results.map((x) => x.errorCode),
    denied: [E.CLUSTER_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'DescribeClientQuotas: DESCRIBE_CONFIGS on the cluster',
    apiKey: ApiKey.DescribeClientQuotas,
    version: 1,
    grants: [cluster(AclOp.DESCRIBE_CONFIGS)],
    request: () => ({ components: [{ entityType: 'client-id', matchType: 2, match: null }], strict: false }),
    codes: (r) => [r.errorCode],
    denied: [E.CLUSTER_AUTHORIZATION_FAILED],
    allowed: [E.NONE],
  }),
  row({
    name: 'AlterClientQuotas: ALTER_CONFIGS on the cluster',
    apiKey: ApiKey.AlterClientQuotas,
    version: 1,
    grants: [cluster(AclOp.ALTER_CONFIGS)],
    request: () => ({ entries: [{ entity: [{ entityType: 'client-id', entityName: 'acl-table' }], ops: [{ key: 'producer_byte_rate', value: 1e9, remove: false }] }], validateOnly: true }),
    codes: (r) => r.entries.map((x) => x.errorCode),
    denied: [E.CLUSTER_AUTHORIZATION_FAILED],
    allowed: [E.NONE],
  }),
  row({
    name: 'DescribeConfigs of a topic: DESCRIBE_CONFIGS on it (ALTER_CONFIGS implies it)',
    apiKey: ApiKey.DescribeConfigs,
    version: 4,
    grants: [topic(AclOp.ALTER_CONFIGS)],
    request: (_w, n) => ({ resources: [{ resourceType: 2, resourceName: n.topic, configurationKeys: null }] }),
    codes: (r) => r.results.map((x) => x.errorCode),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'DescribeConfigs of the broker: DESCRIBE_CONFIGS on the cluster',
    apiKey: ApiKey.DescribeConfigs,
    version: 4,
    grants: [cluster(AclOp.DESCRIBE_CONFIGS)],
    request: () => ({ resources: [{ resourceType: 4, resourceName: '1', configurationKeys: null }] }),
    codes: (r) => r.results.map((x) => x.errorCode),
    denied: [E.CLUSTER_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'AlterConfigs: ALTER_CONFIGS on the topic',
    apiKey: ApiKey.AlterConfigs,
    version: 2,
    grants: [topic(AclOp.ALTER_CONFIGS)],
    request: (_w, n) => ({ resources: [{ resourceType: 2, resourceName: n.topic, configs: [{ name: 'retention.ms', value: '60000' }] }] }),
    codes: (r) => r.responses.map((x) => x.errorCode),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'AlterConfigs of the broker: ALTER_CONFIGS on the cluster',
    apiKey: ApiKey.AlterConfigs,
    version: 2,
    grants: [cluster(AclOp.ALTER_CONFIGS)],
    request: () => ({ resources: [{ resourceType: 4, resourceName: '1', configs: [] }] }),
    codes: (r) => r.responses.map((x) => x.errorCode),
    denied: [E.CLUSTER_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'CreatePartitions: ALTER on the topic',
    apiKey: ApiKey.CreatePartitions,
    version: 3,
    grants: [topic(AclOp.ALTER)],
    request: (_w, n) => ({ topics: [{ name: n.topic, count: 2, assignments: null }], timeoutMs: 10_000 }),
    codes: (r) => r.results.map((x) => x.errorCode),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'DeleteGroups: DELETE on the group',
    apiKey: ApiKey.DeleteGroups,
    version: 2,
    grants: [group(AclOp.DELETE)],
    setup: commitOffset,
    request: (_w, n) => ({ groupsNames: [n.group] }),
    codes: (r) => r.results.map((x) => x.errorCode),
    denied: [E.GROUP_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'ElectLeaders: ALTER on the cluster',
    apiKey: ApiKey.ElectLeaders,
    version: 2,
    grants: [cluster(AclOp.ALTER)],
    request: (_w, n) => ({ electionType: 0, topicPartitions: [{ topic: n.topic, partitions: [0] }], timeoutMs: 10_000 }),
    codes: (r) => [r.errorCode, ...r.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => p.errorCode))],
    denied: [E.CLUSTER_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'IncrementalAlterConfigs: ALTER_CONFIGS on the topic',
    apiKey: ApiKey.IncrementalAlterConfigs,
    version: 1,
    grants: [topic(AclOp.ALTER_CONFIGS)],
    request: (_w, n) => ({ resources: [{ resourceType: 2, resourceName: n.topic, configs: [{ name: 'retention.ms', configOperation: 0, value: '60000' }] }] }),
    codes: (r) => r.responses.map((x) => x.errorCode),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'OffsetDelete: DELETE on the group and READ on the topic',
    apiKey: ApiKey.OffsetDelete,
    version: 0,
    grants: [group(AclOp.DELETE), topic(AclOp.READ)],
    setup: commitOffset,
    request: (_w, n) => ({ groupId: n.group, topics: [{ name: n.topic, partitions: [{ partitionIndex: 0 }] }] }),
    codes: (r) => [r.errorCode, ...r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))],
    denied: [E.GROUP_AUTHORIZATION_FAILED],
  }),
  row({
    name: 'DescribeCluster: no ACL needed on a broker (Kafka checks ALTER only on its controllers)',
    apiKey: ApiKey.DescribeCluster,
    version: 1,
    grants: [],
    request: () => ({ includeClusterAuthorizedOperations: true, endpointType: 1 }),
    // Who may do nothing on the cluster gets its answer with an empty operation set.
    codes: (r) => [r.errorCode, r.clusterAuthorizedOperations],
    denied: [E.NONE, 0],
    allowed: [E.NONE, 0],
  }),
  row({
    name: 'DescribeTopicPartitions: DESCRIBE on the topic',
    apiKey: ApiKey.DescribeTopicPartitions,
    version: 0,
    grants: [topic(AclOp.DESCRIBE)],
    request: (_w, n) => ({ topics: [{ name: n.topic }], responsePartitionLimit: 100, cursor: null }),
    codes: (r) => r.topics.map((t) => t.errorCode),
    denied: [E.TOPIC_AUTHORIZATION_FAILED],
  }),
];

/** APIs Kafka serves to anyone (before authentication, or with nothing to protect). */
const NO_AUTHORIZATION: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

function binding(n: Names, g: Grant, principal: string): AclBinding {
  return {
    resourceType: g.type,
    resourceName: g.name === 'TOPIC' ? n.topic : g.name === 'GROUP' ? n.group : g.name,
    patternType: g.pattern === 'prefixed' ? PatternType.PREFIXED : PatternType.LITERAL,
    principal,
    host: '*',
    operation: g.op,
    permission: Permission.ALLOW,
  };
}

describe('authorization of every API (authorizer on, default deny)', () => {
  let secured: DataPathWorld;
  let open: DataPathWorld;
  beforeAll(async () => {
    [secured, open] = await Promise.all([DataPathWorld.open({ authorization: { superUsers: [ADMIN] } }), DataPathWorld.open()]);
  });
  afterAll(async () => {
    await Promise.all([secured?.close(), open?.close()]);
  });

  ROWS.forEach((r, i) => {
    it(r.name, async () => {
      const n: Names = { topic: `t${i}-acl`, group: `g${i}-acl` };
      const allowedPrincipal = `User:row${i}`;
      for (const w of [secured, open]) {
        if (!r.noTopic) await w.createTopic(n.topic);
        await r.setup?.(w, n);
      }
      const granted = await secured.controller.createAcls(r.grants.map((g) => binding(n, g, allowedPrincipal)));
      expect(granted.every((g) => g.errorCode === 0)).toBe(true);

      const denied = r.codes(await secured.call(r.apiKey, r.version, r.request(secured, n), { principal: r.deniedAs ?? NOBODY }));
      expect(denied.map(errorName)).toEqual(r.denied.map(errorName));

      const expected = r.allowed ?? r.codes(await open.call(r.apiKey, r.version, r.request(open, n)));
      const allowed = r.codes(await secured.call(r.apiKey, r.version, r.request(secured, n), { principal: allowedPrincipal }));
      expect(allowed.map(errorName)).toEqual(expected.map(errorName));
      for (const code of allowed) expect([E.TOPIC_AUTHORIZATION_FAILED, E.GROUP_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED]).not.toContain(code);
    });
  });

  it('lets a super user do what the table needs ACLs for', async () => {
    const n: Names = { topic: 'super-acl', group: 'super-g' };
    await secured.createTopic(n.topic);
    const produced = await secured.call(ApiKey.Produce, 9, { acks: -1, timeoutMs: 10_000, topicData: [{ name: n.topic, partitionData: [{ index: 0, records: batch(['v']) }] }] }, { principal: ADMIN });
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(E.NONE);
    const deleted = await secured.call(ApiKey.DeleteTopics, 5, { topicNames: [n.topic], timeoutMs: 10_000 }, { principal: ADMIN });
    expect(deleted.responses[0]!.errorCode).toBe(E.NONE);
  });

  it('lets a DENY win over an ALLOW, and applies a new ACL to the next request', async () => {
    const n: Names = { topic: 'deny-acl', group: 'deny-g' };
    await secured.createTopic(n.topic);
    const who = 'User:carol';
    const read = (): Promise<number> =>
      secured
        .call(ApiKey.ListOffsets, 7, { replicaId: -1, topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] }, { principal: who })
        .then((r) => r.topics[0]!.partitions[0]!.errorCode);
    expect(await read()).toBe(E.TOPIC_AUTHORIZATION_FAILED);
    await secured.controller.createAcls([binding(n, topic(AclOp.ALL), who)]);
    expect(await read()).toBe(E.NONE);
    await secured.controller.createAcls([{ ...binding(n, topic(AclOp.DESCRIBE), who), permission: Permission.DENY, host: '127.0.0.1' }]);
    expect(await read()).toBe(E.TOPIC_AUTHORIZATION_FAILED);
    // From another address the host-bound DENY does not apply.
    const elsewhere = await secured.call(ApiKey.ListOffsets, 7, { replicaId: -1, topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] }, { principal: who, remoteAddress: '10.1.1.1:5000' });
    expect(elsewhere.topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
  });

  it('covers every API key the broker serves', () => {
    const served = secured.broker.dispatcher.registry.advertised().map((a) => a.apiKey);
    const tabled = new Set(ROWS.map((r) => r.apiKey));
    const missing = served.filter((k) => !tabled.has(k as ApiKeyNumber) && !NO_AUTHORIZATION.has(k));
    expect(missing).toEqual([]);
  });
});

describe('without an authorizer', () => {
  let open: DataPathWorld;
  beforeAll(async () => {
    open = await DataPathWorld.open();
  });
  afterAll(async () => {
    await open?.close();
  });

  it('answers the ACL APIs SECURITY_DISABLED, as Kafka does', async () => {
    const d = await open.call(ApiKey.DescribeAcls, 3, { resourceTypeFilter: ResourceType.ANY, patternTypeFilter: PatternType.ANY, operation: AclOp.ANY, permissionType: Permission.ANY });
    expect(d.errorCode).toBe(E.SECURITY_DISABLED);
    const c = await open.call(ApiKey.CreateAcls, 3, { creations: [{ resourceType: ResourceType.TOPIC, resourceName: 'x', resourcePatternType: PatternType.LITERAL, principal: 'User:x', host: '*', operation: AclOp.READ, permissionType: Permission.ALLOW }] });
    expect(c.results[0]!.errorCode).toBe(E.SECURITY_DISABLED);
    const del = await open.call(ApiKey.DeleteAcls, 3, { filters: [{ resourceTypeFilter: ResourceType.ANY, patternTypeFilter: PatternType.ANY, operation: AclOp.ANY, permissionType: Permission.ANY }] });
    expect(del.filterResults[0]!.errorCode).toBe(E.SECURITY_DISABLED);
  });
});
