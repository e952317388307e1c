// How a batch of metadata records is written into one journal entry: a format byte, then
// JSON. Extents inside ObjectCommitted drop the object key and size (the record carries
// them once) and travel as positional tuples: 740 instead of 2,115 bytes for 8 extents.
// Its producer batches (an optional field added later) are positional tuples too.
//
// Why JSON and not a hand-made binary form: bench/record-codec.bench.ts measured both on
// the records that dominate the journal (object commits of 8 partitions, offset commits
// of 10). Binary is 25–65% smaller, but either encodes or decodes a record in 2–7 µs,
// about 1% of the fdatasync (~0.4 ms) every batch waits for, and journal size only sets
// how often a snapshot is taken. JSON needs no second schema to keep in step with
// records.ts, stays readable when debugging, and tolerates added optional fields.
//
// Format 1: byte 0 = 0x01, bytes 1.. = UTF-8 JSON array of records. The journal (the
// WAL) frames and checksums each entry, so no length or CRC here.

import type { Extent, ProducerBatchRecord } from '@stratus/partition-index';
import { MetadataStoreError } from './metadata-store.ts';
import type { MetadataRecord, MetadataRecordType, ObjectCommitted } from '../state/records.ts';

const FORMAT_JSON_V1 = 0x01;

/** [topicId, partition, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch] */
type ExtentTuple = [string, number, number, number, number, number, number, number];
/** ObjectCompacted merges: [topicId, partition, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch, replacedExtents] */
type MergeTuple = [string, number, number, number, number, number, number, number, number];
/** [topicId, partition, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset] */
type ProducerTuple = [string, number, number, number, number, number, number];

// Every record type the state machine applies, as the keys of a Record over the union, so
// that a type added to records.ts without being added here fails the type-check instead of
// the first load of a journal holding it (the cluster records of issue 10 were missed that
// way: a controller that became active could not read BrokerDrainingChanged, and the
// cluster had no controller until the journal was snapshotted away).
const RECORD_TYPE_KEYS: Readonly<Record<MetadataRecordType, true>> = {
  ClusterCreated: true,
  BrokerRegistered: true,
  BrokerFenced: true,
  BrokerDrainingChanged: true,
  PartitionMovesStarted: true,
  PartitionMovesCancelled: true,
  BrokerUnregistered: true,
  TopicCreated: true,
  TopicDeleted: true,
  PartitionsAdded: true,
  ConfigsAltered: true,
  LeaderChanged: true,
  ObjectCommitted: true,
  ProducerBatchesCommitted: true,
  LogStartAdvanced: true,
  OffsetsCommitted: true,
  OffsetsDeleted: true,
  GroupMembershipChanged: true,
  GroupCoordinatorReset: true,
  ProducerIdsAllocated: true,
  ObjectsScheduledForDeletion: true,
  ObjectsDeleted: true,
  ExtentsCompacted: true,
  ObjectCompacted: true,
  AclsCreated: true,
  AclsDeleted: true,
  ClientQuotasAltered: true,
  ScramCredentialsUpserted: true,
  ScramCredentialsDeleted: true,
};
const RECORD_TYPES: ReadonlySet<string> = new Set(Object.keys(RECORD_TYPE_KEYS));

export function encodeRecords(records: readonly MetadataRecord[]): Buffer {
  const json = JSON.stringify(records.map(toWire));
  const out = Buffer.allocUnsafe(1 + Buffer.byteLength(json));
  out[0] = FORMAT_JSON_V1;
  out.write(json, 1, 'utf8');
  return out;
}

export function decodeRecords(bytes: Buffer): MetadataRecord[] {
  if (bytes.length === 0 || bytes[0] !== FORMAT_JSON_V1) throw new MetadataStoreError(`journal entry has format ${bytes[0] ?? 'none'}, expected ${FORMAT_JSON_V1}`);
  let wire: unknown;
  try {
    wire = JSON.parse(bytes.toString('utf8', 1));
  } catch (err) {
    throw new MetadataStoreError('journal entry is not valid JSON', { cause: err });
  }
  if (!Array.isArray(wire)) throw new MetadataStoreError('journal entry is not an array of records');
  return wire.map(fromWire);
}

function toWire(r: MetadataRecord): unknown {
  if (r.type === 'ProducerBatchesCommitted') return { ...r, producers: r.producers.map(producerTuple) };
  // Merges as tuples, without the object key and size the record carries once.
  if (r.type === 'ObjectCompacted') return { ...r, merges: r.merges.map(({ extent: e, replacedExtents }): MergeTuple => [e.topicId, e.partition, e.baseOffset, e.lastOffset, e.position, e.length, e.maxTimestamp, e.leaderEpoch, replacedExtents]) };
  if (r.type !== 'ObjectCommitted') return r;
  const extents = r.extents.map((e): ExtentTuple => [e.topicId, e.partition, e.baseOffset, e.lastOffset, e.position, e.length, e.maxTimestamp, e.leaderEpoch]);
  if (r.producers === undefined) return { ...r, extents };
  return { ...r, extents, producers: r.producers.map(producerTuple) };
}

function producerTuple(b: ProducerBatchRecord): ProducerTuple {
  return [b.topicId, b.partition, b.producerId, b.producerEpoch, b.baseSequence, b.lastOffsetDelta, b.baseOffset];
}

function producerFromTuple([topicId, partition, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset]: ProducerTuple): ProducerBatchRecord {
  return { topicId, partition, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset };
}

function fromWire(w: unknown): MetadataRecord {
  if (typeof w !== 'object' || w === null || !RECORD_TYPES.has((w as { type: MetadataRecordType }).type)) {
    throw new MetadataStoreError(`journal holds an unknown record type: ${JSON.stringify(w)?.slice(0, 100)}`);
  }
  const r = w as MetadataRecord;
  if (r.type === 'ProducerBatchesCommitted') return { ...r, producers: (w as { producers: ProducerTuple[] }).producers.map(producerFromTuple) };
  if (r.type === 'ObjectCompacted') {
    const merges = (w as { merges: MergeTuple[] }).merges.map(([topicId, partition, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch, replacedExtents]) => ({
      extent: { topicId, partition, objectKey: r.objectKey, objectSize: r.objectSize, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch },
      replacedExtents,
    }));
    return { ...r, merges };
  }
  if (r.type !== 'ObjectCommitted') return r;
  const c = w as Omit<ObjectCommitted, 'extents' | 'producers'> & { extents: ExtentTuple[]; producers?: ProducerTuple[] };
  const { producers: wireProducers, ...rest } = c;
  const extents = rest.extents.map(
    ([topicId, partition, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch]): Extent => ({
      topicId,
      partition,
      objectKey: rest.objectKey,
      objectSize: rest.objectSize,
      baseOffset,
      lastOffset,
      position,
      length,
      maxTimestamp,
      leaderEpoch,
    }),
  );
  const record: ObjectCommitted = { ...rest, extents };
  if (wireProducers === undefined) return record;
  return { ...record, producers: wireProducers.map(producerFromTuple) };
}
