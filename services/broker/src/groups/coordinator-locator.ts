// Which broker coordinates a group: a pure function of the group id and the live broker
// list (registered, not fenced), so every broker answers FindCoordinator alike and each group request can be
// checked against it (NOT_COORDINATOR). Kafka hashes the group id onto a partition of
// __consumer_offsets and takes its leader; with no such topic here, the id is hashed
// directly onto the brokers sorted by node id (Java's String.hashCode, as Kafka does).
//
// Membership is in memory on the coordinator, so the answer must stay put while the
// broker list does: adding a broker moves some groups, whose members then rejoin.
// Which broker coordinates does not depend on the client's listener; its address does
// (coordinatorEndpoint).

import { brokerEndpointFor } from '@stratus/controller';
import type { BrokerInfo } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { advertisedEndpoints, ownEndpoint } from '../advertised-listeners.ts';
import { liveBrokers } from '../cluster/cluster-view.ts';

/** Java's String.hashCode over UTF-16 code units, as Kafka's partitionFor uses. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The coordinator of `key` among `brokers`, or undefined when there is none. */
export function coordinatorFor(key: string, brokers: readonly BrokerInfo[]): BrokerInfo | undefined {
  if (brokers.length === 0) return undefined;
  const sorted = [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  // Kafka's Utils.abs: masks the sign bit rather than negating (Math.abs(MIN_VALUE) overflows in Java).
  return sorted[(javaStringHash(key) & 0x7fffffff) % sorted.length];
}

/**
 * The coordinator as this broker answers it: hashed over the live brokers (a fenced
 * broker's lease lapsed: it coordinates nothing, and its groups move to live ones). A
 * broker that is not (yet) in the registered broker list, as in embedded mode, coordinates
 * every group itself, and so does one that finds no live broker at all; its own entry
 * always carries the configured advertised listeners.
 */
export function groupCoordinatorNode(ctx: Pick<BrokerContext, 'config' | 'catalog'>, key: string): BrokerInfo {
  const { config } = ctx;
  const self: BrokerInfo = { nodeId: config.nodeId, host: config.advertisedHost, port: config.advertisedPort, rack: config.rack, endpoints: advertisedEndpoints(config) };
  const md = ctx.catalog().metadata;
  if (!md.brokers.some((b) => b.nodeId === config.nodeId)) return self;
  const chosen = coordinatorFor(key, liveBrokers(md));
  return chosen === undefined || chosen.nodeId === config.nodeId ? self : chosen;
}

/**
 * The coordinator's address for clients of `listener` (FindCoordinator): this broker's own
 * advertised one when it coordinates, the registered one otherwise; undefined when the
 * coordinator has no such listener (Kafka then answers COORDINATOR_NOT_AVAILABLE).
 */
export function coordinatorEndpoint(ctx: Pick<BrokerContext, 'config' | 'catalog'>, key: string, listener: string): { nodeId: number; host: string; port: number } | undefined {
  const node = groupCoordinatorNode(ctx, key);
  const e = node.nodeId === ctx.config.nodeId ? ownEndpoint(ctx.config, listener) : brokerEndpointFor(node, listener);
  return e === undefined ? undefined : { nodeId: node.nodeId, host: e.host, port: e.port };
}

/** Whether this broker coordinates the group (else group APIs answer NOT_COORDINATOR). */
export function isLocalCoordinator(ctx: Pick<BrokerContext, 'config' | 'catalog'>, groupId: string): boolean {
  return groupCoordinatorNode(ctx, groupId).nodeId === ctx.config.nodeId;
}
