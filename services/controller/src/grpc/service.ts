// The controller service's unary RPCs as plain async functions over a ControllerApi:
// decode the request (convert.ts), call the API, encode the answer with the metadata
// version. No transport here: server.ts adapts these to @grpc/grpc-js and turns thrown
// errors into gRPC statuses, and Watch (a stream) lives there too.
//
// metadata_version of a mutation is read from api.metadata() once the call resolved. A
// ControllerApi answers only when its change is durable and visible to metadata(), so
// this is at least the version the change produced (a concurrent change may make it
// higher, which only makes a client wait for that one as well).

import type { ControllerApi } from '../controller-api.ts';
import {
  fromAlterOp,
  fromBroker,
  fromReassignment,
  fromCommitRequest,
  fromCreateTopicRequest,
  fromRequestDrainReason,
  fromNullableConfigs,
  fromResource,
  fromTopicPartition,
  nullable,
  toClusterDescription,
  toClusterMetadata,
  toCommitRejections,
  toCommittedOffset,
  toCreateTopicResult,
  toDescribeConfigsResult,
  toDrainReason,
  toExtent,
  toItemError,
  toProducerBatch,
} from './convert.ts';
import type * as pb from './generated/stratus/controller/v1/controller.ts';
import { fromPbAcl, fromPbAclFilter, toPbAcl } from './acl-convert.ts';
import { fromPbAlteration, toPbEntity } from './quota-convert.ts';
import { fromPbUpsertion, toPbAlterResult, toPbDescribeResult, toPbUpsertion } from './scram-convert.ts';

/** "<topicId>:<partition>" (partitionKey of @stratus/partition-index) back into its parts; topic ids hold no ':'. */
function splitPartitionKey(key: string): { topicId: string; partition: number } {
  const at = key.lastIndexOf(':');
  return { topicId: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

export type UnaryService = ReturnType<typeof controllerService>;

export function controllerService(api: ControllerApi) {
  const version = (): number => api.metadata().version;
  return {
    async registerBroker(req: pb.RegisterBrokerRequest): Promise<pb.RegisterBrokerResponse> {
      const r = await api.registerBroker(fromBroker(req.broker));
      return { metadataVersion: version(), brokerEpoch: r.brokerEpoch, leaseExpiresAtMs: r.leaseExpiresAtMs };
    },

    async heartbeat(req: pb.HeartbeatRequest): Promise<pb.HeartbeatResponse> {
      const r = await api.heartbeat(req.nodeId, req.brokerEpoch);
      return { leaseExpiresAtMs: r.leaseExpiresAtMs, fenced: r.fenced, metadataVersion: version() };
    },

    async releasePartition(req: pb.ReleasePartitionRequest): Promise<pb.ReleasePartitionResponse> {
      const r = await api.releasePartition(fromTopicPartition(req.partition), req.leaderEpoch, req.brokerEpoch);
      return { error: toItemError(r), metadataVersion: version() };
    },

    async getMetadata(_req: pb.GetMetadataRequest): Promise<pb.GetMetadataResponse> {
      return { metadata: toClusterMetadata(api.metadata()) };
    },

    async describeCluster(_req: pb.DescribeClusterRequest): Promise<pb.DescribeClusterResponse> {
      return toClusterDescription(await api.describeCluster());
    },

    async drainBroker(req: pb.DrainBrokerRequest): Promise<pb.DrainBrokerResponse> {
      const r = await api.drainBroker(req.nodeId, req.drain, fromRequestDrainReason(req.reason));
      return { error: toItemError(r), partitionsToMove: r.partitionsToMove, metadataVersion: version(), draining: r.draining, drainReason: toDrainReason(r.drainReason) };
    },

    async reassignPartitions(req: pb.ReassignPartitionsRequest): Promise<pb.ReassignPartitionsResponse> {
      const results = await api.reassignPartitions(req.assignments.map(fromReassignment));
      return { results: results.map((r) => ({ topicId: r.topicId, partition: r.partition, error: toItemError(r) })), metadataVersion: version() };
    },

    async createTopics(req: pb.CreateTopicsRequest): Promise<pb.CreateTopicsResponse> {
      const results = await api.createTopics(req.topics.map(fromCreateTopicRequest), { validateOnly: req.validateOnly });
      return { results: results.map(toCreateTopicResult), metadataVersion: version() };
    },

    async deleteTopics(req: pb.DeleteTopicsRequest): Promise<pb.DeleteTopicsResponse> {
      const refs = req.topics.map((t) => ({ ...(t.name !== undefined ? { name: t.name } : {}), ...(t.topicId !== undefined ? { topicId: t.topicId } : {}) }));
      const results = await api.deleteTopics(refs);
      return {
        results: results.map((r) => ({ ...(r.name !== null ? { name: r.name } : {}), topicId: r.topicId, error: toItemError(r) })),
        metadataVersion: version(),
      };
    },

    async createPartitions(req: pb.CreatePartitionsRequest): Promise<pb.CreatePartitionsResponse> {
      const results = await api.createPartitions(
        req.topics.map((t) => ({ name: t.name, count: t.count })),
        { validateOnly: req.validateOnly },
      );
      return { results: results.map((r) => ({ name: r.name, error: toItemError(r) })), metadataVersion: version() };
    },

    async describeConfigs(req: pb.DescribeConfigsRequest): Promise<pb.DescribeConfigsResponse> {
      const resources = req.resources.map((r) => ({ ...fromResource(r.resource), keys: r.keys === undefined ? null : r.keys.keys }));
      const results = await api.describeConfigs(resources);
      return { results: results.map(toDescribeConfigsResult) };
    },

    async alterConfigs(req: pb.AlterConfigsRequest): Promise<pb.AlterConfigsResponse> {
      const resources = req.resources.map((r) => ({ ...fromResource(r.resource), configs: fromNullableConfigs(r.configs) }));
      const results = await api.alterConfigs(resources, { validateOnly: req.validateOnly });
      return { results: results.map((r) => ({ resource: { type: r.type, name: r.name }, error: toItemError(r) })), metadataVersion: version() };
    },

    async incrementalAlterConfigs(req: pb.IncrementalAlterConfigsRequest): Promise<pb.IncrementalAlterConfigsResponse> {
      const resources = req.resources.map((r) => ({
        ...fromResource(r.resource),
        ops: r.ops.map((o) => ({ name: o.name, op: fromAlterOp(o.op), value: nullable(o.value) })),
      }));
      const results = await api.incrementalAlterConfigs(resources, { validateOnly: req.validateOnly });
      return { results: results.map((r) => ({ resource: { type: r.type, name: r.name }, error: toItemError(r) })), metadataVersion: version() };
    },

    async commitObject(req: pb.CommitObjectRequest): Promise<pb.CommitObjectResponse> {
      const result = await api.commit(fromCommitRequest(req));
      return { rejected: toCommitRejections(result), metadataVersion: version() };
    },

    async getPartitionBounds(req: pb.GetPartitionBoundsRequest): Promise<pb.GetPartitionBoundsResponse> {
      const tp = fromTopicPartition(req.partition);
      const [logStartOffset, committedEndOffset] = await Promise.all([api.logStartOffset(tp), api.committedEndOffset(tp)]);
      return { logStartOffset, committedEndOffset };
    },

    async extentsFrom(req: pb.ExtentsFromRequest): Promise<pb.ExtentsFromResponse> {
      const extents = await api.extentsFrom(fromTopicPartition(req.partition), req.offset, req.maxExtents);
      return { extents: extents.map(toExtent) };
    },

    async producerBatches(req: pb.ProducerBatchesRequest): Promise<pb.ProducerBatchesResponse> {
      const batches = await api.producerBatches(fromTopicPartition(req.partition));
      return { batches: batches.map(toProducerBatch) };
    },

    async deleteRecords(req: pb.DeleteRecordsRequest): Promise<pb.DeleteRecordsResponse> {
      const r = await api.deleteRecords(fromTopicPartition(req.partition), req.offset);
      return { error: toItemError(r), logStartOffset: r.logStartOffset, metadataVersion: version() };
    },

    async commitOffsets(req: pb.CommitOffsetsRequest): Promise<pb.CommitOffsetsResponse> {
      const items = req.offsets.map((o) => ({ topicId: o.topicId, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: nullable(o.metadata) }));
      const results = await api.commitOffsets(req.group, items);
      return { results: results.map((r) => ({ topicId: r.topicId, partition: r.partition, error: toItemError(r) })), metadataVersion: version() };
    },

    async fetchOffsets(req: pb.FetchOffsetsRequest): Promise<pb.FetchOffsetsResponse> {
      const partitions = req.partitions === undefined ? null : req.partitions.partitions.map((tp) => fromTopicPartition(tp));
      const offsets = await api.fetchOffsets(req.group, partitions);
      return { offsets: [...offsets].map(([key, o]) => toCommittedOffset(splitPartitionKey(key), o)) };
    },

    async deleteOffsets(req: pb.DeleteOffsetsRequest): Promise<pb.DeleteOffsetsResponse> {
      await api.deleteOffsets(req.group, req.partitions.map((tp) => fromTopicPartition(tp)));
      return { metadataVersion: version() };
    },

    async deleteGroupOffsets(req: pb.DeleteGroupOffsetsRequest): Promise<pb.DeleteGroupOffsetsResponse> {
      await api.deleteGroupOffsets(req.group);
      return { metadataVersion: version() };
    },

    async groupsWithOffsets(_req: pb.GroupsWithOffsetsRequest): Promise<pb.GroupsWithOffsetsResponse> {
      return { groups: await api.groupsWithOffsets() };
    },

    async recordGroupMembership(req: pb.RecordGroupMembershipRequest): Promise<pb.RecordGroupMembershipResponse> {
      await api.recordGroupMembership(req.group, {
        nodeId: req.nodeId,
        hasMembers: req.hasMembers,
        subscribedTopics: req.subscribedTopics === undefined ? null : req.subscribedTopics.topics,
      });
      return { metadataVersion: version() };
    },

    async allocateProducerIds(req: pb.AllocateProducerIdsRequest): Promise<pb.AllocateProducerIdsResponse> {
      const block = await api.allocateProducerIds(req.size);
      return { firstProducerId: block.firstProducerId, size: block.size, metadataVersion: version() };
    },

    async createAcls(req: pb.CreateAclsRequest): Promise<pb.CreateAclsResponse> {
      const results = await api.createAcls(req.acls.map(fromPbAcl));
      return { results: results.map(toItemError), metadataVersion: version() };
    },

    async describeAcls(req: pb.DescribeAclsRequest): Promise<pb.DescribeAclsResponse> {
      const r = await api.describeAcls(fromPbAclFilter(req.filter));
      return { error: toItemError(r), acls: r.acls.map(toPbAcl) };
    },

    async deleteAcls(req: pb.DeleteAclsRequest): Promise<pb.DeleteAclsResponse> {
      const results = await api.deleteAcls(req.filters.map(fromPbAclFilter));
      return { results: results.map((r) => ({ error: toItemError(r), acls: r.acls.map(toPbAcl) })), metadataVersion: version() };
    },

    async alterClientQuotas(req: pb.AlterClientQuotasRequest): Promise<pb.AlterClientQuotasResponse> {
      const results = await api.alterClientQuotas(req.alterations.map(fromPbAlteration), req.validateOnly);
      return { results: results.map((r) => ({ entity: toPbEntity(r.entity), error: toItemError(r) })), metadataVersion: version() };
    },

    async describeUserScramCredentials(req: pb.DescribeUserScramCredentialsRequest): Promise<pb.DescribeUserScramCredentialsResponse> {
      const results = await api.describeScramCredentials(req.named ? req.users : null);
      return { results: results.map(toPbDescribeResult) };
    },

    async alterUserScramCredentials(req: pb.AlterUserScramCredentialsRequest): Promise<pb.AlterUserScramCredentialsResponse> {
      const results = await api.alterScramCredentials(req.deletions.map((d) => ({ user: d.user, mechanism: d.mechanism })), req.upsertions.map(fromPbUpsertion));
      return { results: results.map(toPbAlterResult), metadataVersion: version() };
    },

    async getScramCredential(req: pb.GetScramCredentialRequest): Promise<pb.GetScramCredentialResponse> {
      const c = await api.scramCredential(req.user, req.mechanism);
      return c === undefined ? {} : { credential: toPbUpsertion(c) };
    },
  };
}
