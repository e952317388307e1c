// What `groups describe` and `groups reset-offsets` both read of a consumer group, from its
// coordinator: its state and members (DescribeGroups, with each consumer's assignment
// decoded from the consumer protocol) and its committed offsets (OffsetFetch).

import { ApiKey, ConsumerProtocolAssignmentSpec, ErrorCode, messageCodec, Reader } from '@stratus/protocol';
import type { ConsumerProtocolAssignment } from '@stratus/protocol';
import type { KafkaAdmin } from './kafka-admin.ts';
import { ADMIN_EXIT, AdminExit, describeItemError, itemError } from './output.ts';

/** The newest ConsumerProtocolAssignment version the codec knows. */
const MAX_ASSIGNMENT_VERSION = 3;

export interface GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Decoded when the group speaks the consumer protocol; null otherwise. */
  readonly assignment: readonly { readonly topic: string; readonly partitions: readonly number[] }[] | null;
}

export interface GroupDescription {
  readonly group: string;
  readonly coordinator: number;
  /** Kafka's group states: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead. */
  readonly state: string;
  readonly protocolType: string;
  /** The assignor the members agreed on (range, cooperative-sticky, ...). */
  readonly protocol: string;
  readonly members: readonly GroupMember[];
  /** Committed offset by "topic\0partition". */
  readonly committed: ReadonlyMap<string, { readonly topic: string; readonly partition: number; readonly offset: number }>;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** States in which no consumer holds the group: its offsets may be changed from outside. */
export const INACTIVE_STATES: readonly string[] = ['Empty', 'Dead'];

function decodeAssignment(bytes: Buffer): GroupMember['assignment'] {
  if (bytes.length < 2) return [];
  try {
    const version = Math.min(bytes.readInt16BE(0), MAX_ASSIGNMENT_VERSION);
    const a = messageCodec<ConsumerProtocolAssignment>(ConsumerProtocolAssignmentSpec, version).decode(new Reader(bytes, 2));
    return a.assignedPartitions.map((x) => ({ topic: x.topic, partitions: [...x.partitions].sort((p, q) => p - q) }));
  } catch {
    return null;
  }
}

export async function readGroup(kafka: KafkaAdmin, group: string): Promise<GroupDescription> {
  const coordinator = await kafka.coordinatorOf(group);
  const [described, fetched] = await Promise.all([
    kafka.callNode(coordinator, ApiKey.DescribeGroups, { groups: [group], includeAuthorizedOperations: false }),
    kafka.callNode(coordinator, ApiKey.OffsetFetch, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }], requireStable: false }),
  ]);
  const d = described.groups[0];
  const describeError = itemError(d ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the coordinator answered nothing' });
  if (describeError !== null) throw new AdminExit(ADMIN_EXIT.failed, `group ${group}: ${describeItemError(describeError)}`);
  const f = fetched.groups[0];
  const fetchError = itemError(f ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the coordinator answered nothing' });
  if (fetchError !== null) throw new AdminExit(ADMIN_EXIT.failed, `group ${group}: its committed offsets could not be read: ${describeItemError(fetchError)}`);
  const committed = new Map<string, { topic: string; partition: number; offset: number }>();
  for (const t of f!.topics) {
    for (const p of t.partitions) {
      if (p.errorCode === ErrorCode.NONE && p.committedOffset >= 0) committed.set(tpKey(t.name, p.partitionIndex), { topic: t.name, partition: p.partitionIndex, offset: p.committedOffset });
    }
  }
  const consumer = d!.protocolType === 'consumer';
  return {
    group,
    coordinator,
    state: d!.groupState,
    protocolType: d!.protocolType,
    protocol: d!.protocolData,
    members: d!.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment: consumer ? decodeAssignment(m.memberAssignment) : null })),
    committed,
  };
}

/** A group the coordinator does not know at all: Dead, no members, nothing committed. */
export const isUnknownGroup = (g: GroupDescription): boolean => g.state === 'Dead' && g.members.length === 0 && g.committed.size === 0;
