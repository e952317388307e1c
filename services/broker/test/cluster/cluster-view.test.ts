// The pure rules of what clients are shown: live brokers, the read replicas of a partition
// (one per rack other than the leader's, deterministic, spread over a rack's brokers), the
// preferred read replica for a client rack, how a partition is viewed, and what the
// clients of one listener are shown (KIP-103).

import { describe, expect, it } from 'vitest';
import type { ClusterMetadata, RegisteredBroker } from '@stratus/controller';
import { ErrorCode } from '@stratus/protocol';
import { isLive, listenerView, liveBrokers, preferredReadReplica, readReplicas } from '../../src/cluster/cluster-view.ts';
import { partitionView } from '../../src/partition-view.ts';

function broker(nodeId: number, rack: string | null, fenced = false): RegisteredBroker {
  return { nodeId, host: `b${nodeId}`, port: 9092, rack, fenced, draining: false };
}

const TOPIC = 'AAAAAAAAAAAAAAAAAAAAAQ';
const BROKERS = [broker(1, 'a'), broker(2, 'b'), broker(3, 'b'), broker(4, 'c'), broker(5, 'c', true), broker(6, null)];

describe('cluster view', () => {
  it('live brokers are the registered ones that are not fenced', () => {
    const md = { brokers: BROKERS } as unknown as ClusterMetadata;
    expect(liveBrokers(md).map((b) => b.nodeId)).toEqual([1, 2, 3, 4, 6]);
    expect([isLive(md, 4), isLive(md, 5), isLive(md, 9)]).toEqual([true, false, false]);
  });

  it('one read replica per other rack, from live brokers only, the same answer every time', () => {
    const live = BROKERS.filter((b) => !b.fenced);
    const r = readReplicas(TOPIC, 0, 1, live);
    expect(r.map((x) => x.rack)).toEqual(['b', 'c']);
    expect([2, 3]).toContain(r[0]!.nodeId);
    expect(r[1]!.nodeId).toBe(4); // 5 is fenced
    expect(readReplicas(TOPIC, 0, 1, [...live].reverse())).toEqual(r); // order of the list does not matter
    // The leader's own rack and rack-less brokers serve no one else's reads.
    expect(readReplicas(TOPIC, 0, 2, live).map((x) => x.rack)).toEqual(['a', 'c']);
    expect(readReplicas(TOPIC, 0, 6, live).map((x) => x.rack)).toEqual(['a', 'b', 'c']);
    // A leader that is not live has none.
    expect(readReplicas(TOPIC, 0, 5, live)).toEqual([]);
  });

  it('spreads a rack’s reads over its brokers by partition', () => {
    const live = BROKERS.filter((b) => !b.fenced);
    const chosen = new Set(Array.from({ length: 8 }, (_, p) => readReplicas(TOPIC, p, 1, live)[0]!.nodeId));
    expect(chosen).toEqual(new Set([2, 3]));
  });

  it('the preferred read replica: the client rack’s replica, or -1 (leader’s rack, unknown rack, no rack)', () => {
    const live = BROKERS.filter((b) => !b.fenced);
    expect(preferredReadReplica(TOPIC, 0, 1, live, 'c')).toBe(4);
    expect(preferredReadReplica(TOPIC, 0, 1, live, 'a')).toBe(-1);
    expect(preferredReadReplica(TOPIC, 0, 1, live, 'z')).toBe(-1);
    expect(preferredReadReplica(TOPIC, 0, 1, live, '')).toBe(-1);
  });

  it('a partition view: replicas and ISR are the leader and its read replicas; a leader not live is LEADER_NOT_AVAILABLE with -1', () => {
    const live = listenerView({ brokers: BROKERS } as unknown as ClusterMetadata, 'PLAINTEXT');
    const led = partitionView(TOPIC, { partition: 0, leader: 4, leaderEpoch: 3 }, live);
    expect(led.errorCode).toBe(ErrorCode.NONE);
    expect(led.leaderId).toBe(4);
    expect(led.replicaNodes[0]).toBe(4);
    expect(led.replicaNodes).toHaveLength(3); // racks a and b besides c
    expect(led.isrNodes).toEqual(led.replicaNodes);
    for (const leader of [5, -1]) {
      expect(partitionView(TOPIC, { partition: 0, leader, leaderEpoch: 3 }, live)).toMatchObject({ errorCode: ErrorCode.LEADER_NOT_AVAILABLE, leaderId: -1, leaderEpoch: 3, replicaNodes: [], isrNodes: [] });
    }
  });

  it('clients of a listener see the live brokers that have it, at its address, and read replicas among them', () => {
    const endpoints = (nodeId: number) => [
      { listener: 'INTERNAL', host: `broker-${nodeId}`, port: 9092 },
      { listener: 'EXTERNAL', host: '127.0.0.1', port: 19091 + nodeId },
    ];
    const brokers: RegisteredBroker[] = [
      { ...broker(1, 'a'), host: 'broker-1', endpoints: endpoints(1) },
      { ...broker(2, 'b'), host: 'broker-2', endpoints: endpoints(2) },
      { ...broker(3, 'c'), host: 'broker-3', endpoints: [endpoints(3)[0]!] }, // INTERNAL only
      broker(4, 'c'), // registered before listeners: host:port on every listener
      { ...broker(5, 'c', true), endpoints: endpoints(5) }, // fenced
    ];
    const md = { brokers } as unknown as ClusterMetadata;
    const external = listenerView(md, 'EXTERNAL');
    expect(external.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`])).toEqual([
      [1, '127.0.0.1:19092'],
      [2, '127.0.0.1:19093'],
      [4, 'b4:9092'],
    ]);
    expect([...external.without]).toEqual([3]);
    const internal = listenerView(md, 'INTERNAL');
    expect(internal.brokers.map((b) => `${b.host}:${b.port}`)).toEqual(['broker-1:9092', 'broker-2:9092', 'broker-3:9092', 'b4:9092']);
    expect(internal.without.size).toBe(0);
    // A partition led by the broker without the listener: no leader for these clients.
    expect(partitionView(TOPIC, { partition: 0, leader: 3, leaderEpoch: 1 }, external)).toMatchObject({ errorCode: ErrorCode.LISTENER_NOT_FOUND, leaderId: -1 });
    expect(partitionView(TOPIC, { partition: 0, leader: 3, leaderEpoch: 1 }, external, ErrorCode.LEADER_NOT_AVAILABLE).errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE);
    expect(partitionView(TOPIC, { partition: 0, leader: 3, leaderEpoch: 1 }, internal).errorCode).toBe(ErrorCode.NONE);
    // Rack c's read replica for EXTERNAL clients is 4, the one of c they can reach.
    for (let partition = 0; partition < 8; partition++) expect(preferredReadReplica(TOPIC, partition, 1, external.brokers, 'c')).toBe(4);
  });
});
