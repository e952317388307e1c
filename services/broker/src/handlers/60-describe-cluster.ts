// DescribeCluster (API key 60), versions 0–1 (flexible from 0). Used by the Java
// AdminClient's describeCluster() (Kafka 2.8+), not by kafkajs.
//
// Implemented: cluster id, controller id and the live (registered, not fenced) brokers, from the
// controller's metadata, each at its address for the request's listener and only those
// that have it (KIP-103, cluster/cluster-view.ts); EndpointType (v1) 1 = brokers. Asking a broker for controller
// endpoints (2) is MISMATCHED_ENDPOINT_TYPE, any other type UNSUPPORTED_ENDPOINT_TYPE
// (both INVALID_REQUEST in v0), with Kafka's messages.
//
// ClusterAuthorizedOperations, when asked for, is what the authorizer allows on the
// cluster — every cluster operation when none is configured, as in Kafka.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from '../handler.ts';
import { listenerView } from '../cluster/cluster-view.ts';
import { authorizedOperations, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';

const ENDPOINT_BROKERS = 1;
const ENDPOINT_CONTROLLERS = 2;

export function describeClusterHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeCluster,
    accept: [0, 1],
    handle: (req, rctx) => {
      const v0 = rctx.header.apiVersion === 0;
      if (req.endpointType !== ENDPOINT_BROKERS) {
        const known = req.endpointType === ENDPOINT_CONTROLLERS;
        return {
          throttleTimeMs: 0,
          errorCode: v0 ? ErrorCode.INVALID_REQUEST : known ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: known
            ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
            : `Unsupported endpoint type ${req.endpointType}`,
        };
      }
      const metadata = ctx.controller.metadata();
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: ENDPOINT_BROKERS,
        clusterId: metadata.clusterId,
        controllerId: metadata.controllerId,
        brokers: listenerView(metadata, rctx.listenerName).brokers.map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
        clusterAuthorizedOperations: authorizedOperations(ctx.authorizer, rctx, 'cluster', CLUSTER_RESOURCE_NAME, req.includeClusterAuthorizedOperations),
      };
    },
  });
}
