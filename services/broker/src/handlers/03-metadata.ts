// Metadata (key 3), versions 0–12. Brokers, cluster id, controller, and for each topic
// its id (v10+), partitions, leaders and leader epochs (v7+). Unknown topics are created
// when auto.create.topics.enable is on and the request allows it (v4+; always for
// older versions), and are returned ready to use rather than LEADER_NOT_AVAILABLE,
// because creation is synchronous here. Topics asked for by id (v10+) that do not exist
// get UNKNOWN_TOPIC_ID. Authorized operations (v8+), when asked for, are what the
// authorizer allows — every supported operation when none is configured, as in Kafka.
// Brokers: the live ones only (a fenced broker's lease lapsed), each at its address for the
// listener the request came through, and only those that have it (KIP-103); a partition
// whose leader is not live is LEADER_NOT_AVAILABLE, one whose leader lacks the listener
// LISTENER_NOT_FOUND from v6 (partition-view.ts).
// With an authorizer (Kafka's handleTopicMetadataRequest): a listing of all topics shows
// only those the principal may DESCRIBE; a topic named without DESCRIBE is
// TOPIC_AUTHORIZATION_FAILED whether it exists or not (its existence is not disclosed);
// an unknown one to be auto-created without CREATE (cluster or topic) is
// TOPIC_AUTHORIZATION_FAILED too; so is a topic id the principal may not DESCRIBE (without
// its name: ids are not sensitive in Kafka's view, names are).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import { topicNameProblem } from '@stratus/controller';
import type { TopicInfo } from '@stratus/controller';
import type { Input, MetadataResponseTopic } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from '../handler.ts';
import { partitionView } from '../partition-view.ts';
import { AclOperation, authorizedOperations, CLUSTER_RESOURCE_NAME, OPERATIONS_NOT_REQUESTED } from '../auth/authorized-operations.ts';
import { isAllowed, mayCreateTopic } from '../auth/authorize.ts';
import { ensureTopics } from '../topics.ts';
import { listenerView } from '../cluster/cluster-view.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const NOT_REQUESTED = OPERATIONS_NOT_REQUESTED;

export function metadataHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.Metadata,
    accept: [0, 12],
    handle: async (req, rctx) => {
      const version = rctx.header.apiVersion;
      let catalog = ctx.catalog();
      // v0: an empty list means all topics; v1+: null means all, empty means none.
      const all = req.topics === null || (version === 0 && req.topics.length === 0);
      const responses: Input<MetadataResponseTopic>[] = [];
      // Read once per request: every partition is judged against the same broker list.
      let view = listenerView(catalog.metadata, rctx.listenerName);
      // Kafka answers LISTENER_NOT_FOUND from v6; older clients know only LEADER_NOT_AVAILABLE.
      const listenerNotFound = version >= 6 ? ErrorCode.LISTENER_NOT_FOUND : ErrorCode.LEADER_NOT_AVAILABLE;
      const topicResponse = (t: TopicInfo): Input<MetadataResponseTopic> => ({
        errorCode: ErrorCode.NONE,
        name: t.name,
        topicId: t.topicId,
        isInternal: t.internal,
        partitions: t.partitions.map((p) => partitionView(t.topicId, p, view, listenerNotFound)),
        topicAuthorizedOperations: topicOps(t.name),
      });
      const topicOps = (name: string): number => authorizedOperations(ctx.authorizer, rctx, 'topic', name, req.includeTopicAuthorizedOperations);
      // Listing every topic filters silently (Kafka: logIfDenied = !isAllTopics); a topic asked for by name is audited.
      const describable = (name: string): boolean => isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'topic', name, !all);
      const deniedTopic = (name: string): Input<MetadataResponseTopic> => ({
        errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        name,
        topicId: ZERO_UUID,
        isInternal: false,
        partitions: [],
        topicAuthorizedOperations: NOT_REQUESTED,
      });
      // Topic ids in requests (and null names) need v12: response names are not nullable
      // before it. Kafka refuses such a request with INVALID_REQUEST for every topic named.
      if (!all && version < 12 && req.topics!.some((t) => t.name === null || t.topicId !== ZERO_UUID)) {
        for (const t of req.topics!) {
          responses.push({ errorCode: ErrorCode.INVALID_REQUEST, name: t.name ?? '', topicId: t.topicId, isInternal: false, partitions: [], topicAuthorizedOperations: NOT_REQUESTED });
        }
      } else if (all) {
        for (const t of catalog.metadata.topics) if (describable(t.name)) responses.push(topicResponse(t));
      } else {
        const allowCreate = ctx.config.autoCreateTopics && (version < 4 || req.allowAutoTopicCreation);
        const unknown = req.topics!.filter((t) => t.name !== null && catalog.topic(t.name) === undefined && describable(t.name)).map((t) => t.name!);
        const createDenied = new Set(allowCreate ? unknown.filter((n) => !mayCreateTopic(ctx.authorizer, rctx, n)) : []);
        const missing = unknown.filter((n) => !createDenied.has(n));
        let failed = new Map<string, number>();
        if (allowCreate && missing.length > 0) {
          failed = await ensureTopics(ctx, missing);
          catalog = ctx.catalog();
          view = listenerView(catalog.metadata, rctx.listenerName);
        }
        for (const t of req.topics!) {
          if (t.name === null) {
            const byId = catalog.topicById(t.topicId);
            if (byId !== undefined && !describable(byId.name)) {
              // Kafka: topic ids are not sensitive, so this one is answered by id, without its name.
              responses.push({ ...deniedTopic(''), name: null, topicId: t.topicId });
              continue;
            }
            responses.push(byId ? topicResponse(byId) : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: t.topicId, isInternal: false, partitions: [], topicAuthorizedOperations: NOT_REQUESTED });
            continue;
          }
          if (!describable(t.name) || createDenied.has(t.name)) {
            responses.push(deniedTopic(t.name));
            continue;
          }
          const topic = catalog.topic(t.name);
          if (topic) responses.push(topicResponse(topic));
          else responses.push({ errorCode: failed.get(t.name) ?? (topicNameProblem(t.name) === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION), name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: NOT_REQUESTED });
        }
      }
      const md = catalog.metadata;
      return {
        throttleTimeMs: 0,
        brokers: view.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
        clusterId: md.clusterId,
        controllerId: md.controllerId,
        topics: responses,
        clusterAuthorizedOperations: authorizedOperations(ctx.authorizer, rctx, 'cluster', CLUSTER_RESOURCE_NAME, req.includeClusterAuthorizedOperations),
      };
    },
  });
}
