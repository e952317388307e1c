// The cluster as `stratus admin` shows it: describeCluster of the controller (brokers'
// lease state, partitions led, moves) joined with the metadata (racks, listeners, topic
// names). One shape for `cluster` and `brokers list`, in JSON with stable field names.

import type { ClusterDescription, GrpcControllerClient } from '@stratus/controller';
import { formatMs, table } from './output.ts';

export interface BrokerView {
  readonly id: number;
  readonly rack: string | null;
  /** Advertised listeners in configuration order; `listener` null: a broker that registered one address for every listener. */
  readonly endpoints: readonly { readonly listener: string | null; readonly host: string; readonly port: number }[];
  /** Its registration's epoch (new on every start). */
  readonly epoch: number;
  readonly fenced: boolean;
  readonly suspected: boolean;
  readonly draining: boolean;
  readonly partitionsLed: number;
  /** When its lease lapses unless renewed (epoch ms; for a fenced broker, when it was fenced). */
  readonly leaseExpiresAtMs: number;
}

export interface MoveView {
  readonly topic: string | null;
  readonly topicId: string;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  readonly startedAtMs: number;
}

export interface ClusterView {
  readonly clusterId: string;
  readonly metadataVersion: number;
  /** The controller that answered (standbys redirect to the active one) and the addresses admin was given. */
  readonly controller: { readonly active: string; readonly endpoints: readonly string[] };
  /** The broker Kafka clients are told is the controller (ClusterMetadata.controllerId; -1 when none). */
  readonly kafkaControllerId: number;
  readonly topics: number;
  readonly partitions: number;
  readonly brokers: readonly BrokerView[];
  readonly moves: readonly MoveView[];
}

export async function describeCluster(client: GrpcControllerClient, endpoints: readonly string[]): Promise<ClusterView> {
  const d: ClusterDescription = await client.describeCluster();
  const m = d.metadata;
  const registered = new Map(m.brokers.map((b) => [b.nodeId, b]));
  const topicNames = new Map(m.topics.map((t) => [t.topicId, t.name]));
  return {
    clusterId: m.clusterId,
    metadataVersion: m.version,
    controller: { active: client.endpointStats().current, endpoints },
    kafkaControllerId: m.controllerId,
    topics: m.topics.length,
    partitions: m.topics.reduce((n, t) => n + t.partitions.length, 0),
    brokers: d.brokers.map((b): BrokerView => {
      const r = registered.get(b.nodeId);
      const endpointsOf = r === undefined ? [] : r.endpoints !== undefined && r.endpoints.length > 0 ? r.endpoints.map((e) => ({ listener: e.listener, host: e.host, port: e.port })) : [{ listener: null, host: r.host, port: r.port }];
      return {
        id: b.nodeId,
        rack: r?.rack ?? null,
        endpoints: endpointsOf,
        epoch: b.brokerEpoch,
        fenced: b.fenced,
        suspected: b.suspected,
        draining: b.draining,
        partitionsLed: b.leaderOf,
        leaseExpiresAtMs: b.leaseExpiresAtMs,
      };
    }),
    moves: d.moves.map((x) => ({ topic: topicNames.get(x.topicId) ?? null, topicId: x.topicId, partition: x.partition, from: x.from, to: x.to, startedAtMs: x.startedAtMs })),
  };
}

/** fenced, suspected, draining — or live. */
export function brokerState(b: BrokerView): string {
  const flags = [b.fenced ? 'fenced' : '', b.suspected ? 'suspected' : '', b.draining ? 'draining' : ''].filter((x) => x !== '');
  return flags.length > 0 ? flags.join(',') : 'live';
}

export function brokerTable(brokers: readonly BrokerView[], nowMs: number): string[] {
  if (brokers.length === 0) return ['no brokers registered'];
  return table(
    ['ID', 'RACK', 'STATE', 'EPOCH', 'LED', 'LEASE', 'ADDRESSES'],
    brokers.map((b) => [
      String(b.id),
      b.rack ?? '-',
      brokerState(b),
      String(b.epoch),
      String(b.partitionsLed),
      b.fenced ? `fenced ${formatMs(nowMs - b.leaseExpiresAtMs)} ago` : `${formatMs(Math.max(0, b.leaseExpiresAtMs - nowMs))} left`,
      b.endpoints.map((e) => `${e.listener ?? '*'}://${e.host}:${e.port}`).join(' '),
    ]),
  );
}

export function moveTable(moves: readonly MoveView[], nowMs: number): string[] {
  return table(
    ['TOPIC', 'PARTITION', 'FROM', 'TO', 'FOR'],
    moves.map((x) => [x.topic ?? x.topicId, String(x.partition), String(x.from), String(x.to), formatMs(nowMs - x.startedAtMs)]),
  );
}
