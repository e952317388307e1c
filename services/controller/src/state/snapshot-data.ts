// The state as one plain JSON-able object, SnapshotData version 1: the payload of
// version-1 snapshot files (snapshot-file.ts reads them still), and the form tests and
// diagnostics compare whole states in (Controller.snapshotData()).
// Extents and offsets are positional tuples, and an extent's topic, partition and
// object size are not repeated (its partition and the objects table hold them): a
// snapshot is mostly extents, and this form is about a third the size of the objects.
//
// Versioned: a new layout gets a new version beside this one, never an edit of it.
// Optional fields added later (producers, groups, brokerStates, moves) may be missing in older snapshots:
// missing means empty.
//
// Both directions go through snapshot sections (snapshot-sections.ts), the form new
// snapshots are streamed in, so there is one way from a state to its tuples
// (snapshot-capture.ts) and one way back (snapshot-builder.ts).

import type { BrokerInfo } from '../controller-api.ts';
import { StateError } from './apply.ts';
import { SnapshotBuilder } from './snapshot-builder.ts';
import { captureState } from './snapshot-capture.ts';
import { SNAPSHOT_SECTIONS_VERSION } from './snapshot-sections.ts';
import type { BrokerStateTuple, GroupTuple, MoveTuple, ObjectTuple, OffsetTuple, PartitionTuple, ProducerTuple, SnapshotSection } from './snapshot-sections.ts';
import type { ControllerState } from './state.ts';
import type { AclTuple } from '../acls/acl-model.ts';
import type { QuotaEntryTuple } from '../quotas/quota-model.ts';
import type { ScramCredentialTuple } from '../scram/scram-model.ts';

export const SNAPSHOT_DATA_VERSION = 1;

export interface SnapshotData {
  readonly version: typeof SNAPSHOT_DATA_VERSION;
  readonly clusterId: string | null;
  readonly metadataVersion: number;
  readonly nextProducerId: number;
  /** The metadata version of the last SCRAM change (added later: missing means 0). */
  readonly scramVersion?: number;
  readonly brokers: BrokerInfo[];
  readonly topics: { topicId: string; name: string; configs: Record<string, string>; partitions: PartitionTuple[] }[];
  readonly objects: ObjectTuple[];
  readonly offsets: { group: string; offsets: OffsetTuple[] }[];
  /** Idempotent-producer state of committed batches (added later: missing means none). */
  readonly producers?: ProducerTuple[];
  /** Group membership for offset expiry (added later: missing means none known). */
  readonly groups?: GroupTuple[];
  /** Broker epochs, fencing and draining (added later: missing means every broker live, epoch 0). */
  readonly brokerStates?: BrokerStateTuple[];
  /** Graceful moves under way (added later: missing means none). */
  readonly moves?: MoveTuple[];
  /** Kafka ACLs (added later: missing means none). */
  readonly acls?: AclTuple[];
  /** Kafka client quotas (added later: missing means none). */
  readonly quotas?: QuotaEntryTuple[];
  /** SCRAM credentials (added later: missing means none). */
  readonly scram?: ScramCredentialTuple[];
}

export function toSnapshotData(s: ControllerState): SnapshotData {
  const data = { version: SNAPSHOT_DATA_VERSION, clusterId: s.clusterId, metadataVersion: s.metadataVersion, nextProducerId: s.nextProducerId, scramVersion: s.scramVersion } as const;
  const brokers: BrokerInfo[] = [];
  const topics: SnapshotData['topics'] = [];
  const objects: ObjectTuple[] = [];
  const offsets: SnapshotData['offsets'] = [];
  const producers: ProducerTuple[] = [];
  const groups: GroupTuple[] = [];
  const brokerStates: BrokerStateTuple[] = [];
  const moves: MoveTuple[] = [];
  const acls: AclTuple[] = [];
  const quotas: QuotaEntryTuple[] = [];
  const scram: ScramCredentialTuple[] = [];
  for (const section of captureState(s).sections(Infinity)) {
    switch (section.kind) {
      case 'brokers':
        append(brokers, section.brokers);
        break;
      case 'objects':
        append(objects, section.objects);
        break;
      case 'topic':
        topics.push({ topicId: section.topicId, name: section.name, configs: { ...section.configs }, partitions: [] });
        break;
      case 'partitions':
        append(topics[topics.length - 1]!.partitions, section.partitions);
        break;
      case 'extents':
        append(topics[topics.length - 1]!.partitions[section.partition]![4], section.extents);
        break;
      case 'offsets':
        offsets.push({ group: section.group, offsets: [...section.offsets] });
        break;
      case 'groups':
        append(groups, section.groups);
        break;
      case 'producers':
        append(producers, section.producers);
        break;
      case 'brokerStates':
        append(brokerStates, section.brokerStates);
        break;
      case 'moves':
        append(moves, section.moves);
        break;
      case 'acls':
        append(acls, section.acls);
        break;
      case 'quotas':
        append(quotas, section.quotas);
        break;
      case 'scram':
        append(scram, section.credentials);
        break;
      case 'head':
      case 'end':
        break;
    }
  }
  return { ...data, brokers, topics, objects, offsets, producers, groups, brokerStates, moves, acls, quotas, scram };
}

/** push(...items) without the argument-count limit (a section here can hold every object of the state). */
function append<T>(into: T[], items: readonly T[]): void {
  for (const item of items) into.push(item);
}

export function fromSnapshotData(data: SnapshotData): ControllerState {
  const b = new SnapshotBuilder();
  for (const section of sectionsOfSnapshotData(data)) b.add(section);
  return b.finish();
}

/** A version-1 SnapshotData as sections: how version-1 snapshot files are loaded. */
export function* sectionsOfSnapshotData(data: SnapshotData): Generator<SnapshotSection> {
  if (data.version !== SNAPSHOT_DATA_VERSION) throw new StateError(`snapshot data version ${String(data.version)} is not supported (this controller reads ${SNAPSHOT_DATA_VERSION})`);
  yield { kind: 'head', version: SNAPSHOT_SECTIONS_VERSION, clusterId: data.clusterId, metadataVersion: data.metadataVersion, nextProducerId: data.nextProducerId, scramVersion: data.scramVersion ?? 0 };
  yield { kind: 'brokers', brokers: data.brokers };
  const brokerStates = data.brokerStates ?? [];
  yield { kind: 'brokerStates', brokerStates };
  yield { kind: 'objects', objects: data.objects };
  let partitions = 0;
  let extents = 0;
  for (const t of data.topics) {
    yield { kind: 'topic', topicId: t.topicId, name: t.name, configs: t.configs };
    yield { kind: 'partitions', topicId: t.topicId, first: 0, partitions: t.partitions };
    partitions += t.partitions.length;
    for (const p of t.partitions) extents += p[4].length;
  }
  let offsets = 0;
  for (const g of data.offsets) {
    yield { kind: 'offsets', group: g.group, offsets: g.offsets };
    offsets += g.offsets.length;
  }
  const groups = data.groups ?? [];
  yield { kind: 'groups', groups };
  const producers = data.producers ?? [];
  yield { kind: 'producers', producers };
  const moves = data.moves ?? [];
  yield { kind: 'moves', moves };
  const acls = data.acls ?? [];
  yield { kind: 'acls', acls };
  const quotas = data.quotas ?? [];
  yield { kind: 'quotas', quotas };
  const scram = data.scram ?? [];
  yield { kind: 'scram', credentials: scram };
  yield {
    kind: 'end',
    // Version 1 states no counts of its own: these are what it holds, in the builder's terms.
    counts: {
      brokers: new Set(data.brokers.map((b) => b.nodeId)).size,
      objects: data.objects.length,
      topics: data.topics.length,
      partitions,
      extents,
      offsets,
      producerBatches: producers.length,
      groups: groups.length,
      brokerStates: brokerStates.length,
      moves: moves.length,
      acls: acls.length,
      quotas: quotas.length,
      scram: scram.length,
    },
  };
}
