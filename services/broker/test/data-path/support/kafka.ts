// What a Kafka client does, in a few lines each: build record batches, produce one batch
// to one partition, fetch from one partition, list offsets, and read the records back
// out of a fetch response. All of it goes through DataPathWorld.call, i.e. the real
// codec and the dispatcher.

import { ApiKey, ATTRIBUTES_OFFSET, buildRecordBatch, crc32c, readBatchHeader, readRecords } from '@stratus/protocol';
import type {
  BatchHeader,
  BuildBatchInput,
  FetchRequestFetchPartition,
  FetchResponse,
  FetchResponsePartitionData,
  Input,
  ListOffsetsResponseListOffsetsPartitionResponse,
  ProduceRequest,
  ProduceResponsePartitionProduceResponse,
} from '@stratus/protocol';
import type { ResponseAllowance } from '../../../src/handler.ts';
import type { DataPathWorld, Outcome } from './world.ts';

export const PRODUCE_VERSION = 9;
export const FETCH_VERSION = 12;
export const LIST_OFFSETS_VERSION = 7;

/** A fixed base for record timestamps, so timestamp lookups are deterministic. */
export const T0 = 1_700_000_000_000;

export type BatchOptions = Omit<BuildBatchInput, 'records'> & {
  /** Per-record create times (default: T0 for every record). */
  readonly timestamps?: readonly number[];
};

/** One v2 batch whose record values are `values` (UTF-8). */
export function batch(values: readonly string[], options: BatchOptions = {}): Buffer {
  const { timestamps, ...rest } = options;
  return buildRecordBatch({
    ...rest,
    records: values.map((value, i) => ({ key: null, value, timestamp: timestamps?.[i] ?? T0 })),
  });
}

/** An idempotent batch of `count` records starting at `baseSequence`. */
export function idempotentBatch(producerId: number, producerEpoch: number, baseSequence: number, count = 1, tag = `p${producerId}`): Buffer {
  const values = Array.from({ length: count }, (_, i) => `${tag}-e${producerEpoch}-s${baseSequence + i}`);
  return batch(values, { producerId, producerEpoch, baseSequence });
}

export interface ProduceOptions {
  readonly version?: number;
  readonly acks?: number;
  readonly timeoutMs?: number;
  readonly transactionalId?: string | null;
}

export function produceRequest(topic: string, partition: number, records: Buffer | null, o: ProduceOptions = {}): Input<ProduceRequest> {
  return {
    transactionalId: o.transactionalId ?? null,
    acks: o.acks ?? -1,
    timeoutMs: o.timeoutMs ?? 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  };
}

/** Produces one batch and returns the partition's answer (the request must be answered). */
export async function produce(world: DataPathWorld, topic: string, partition: number, records: Buffer | null, o: ProduceOptions = {}): Promise<ProduceResponsePartitionProduceResponse> {
  const r = await world.call(ApiKey.Produce, o.version ?? PRODUCE_VERSION, produceRequest(topic, partition, records, o));
  return onlyPartition(r.responses, topic);
}

/** Produces `values` one batch per call and returns the base offsets. */
export async function produceValues(world: DataPathWorld, topic: string, partition: number, batches: readonly (readonly string[])[]): Promise<number[]> {
  const offsets: number[] = [];
  for (const values of batches) {
    const p = await produce(world, topic, partition, batch(values));
    if (p.errorCode !== 0) throw new Error(`produce to ${topic}-${partition} failed with ${p.errorCode}: ${p.errorMessage}`);
    offsets.push(p.baseOffset);
  }
  return offsets;
}

function onlyPartition<P>(responses: readonly { name: string; partitionResponses: readonly P[] }[], topic: string): P {
  if (responses.length !== 1 || responses[0]!.name !== topic || responses[0]!.partitionResponses.length !== 1) {
    throw new Error(`expected one answer for ${topic}, got ${JSON.stringify(responses.map((r) => r.name))}`);
  }
  return responses[0]!.partitionResponses[0]!;
}

/** Decoded produce outcome for pipelined/acks=0 requests. */
export function producePartitionOf(outcome: Outcome<{ responses: { name: string; partitionResponses: ProduceResponsePartitionProduceResponse[] }[] }>): ProduceResponsePartitionProduceResponse {
  if (outcome.kind !== 'response') throw new Error(`produce was not answered: ${outcome.kind}`);
  const [t] = outcome.body.responses;
  const [p] = t?.partitionResponses ?? [];
  if (p === undefined) throw new Error('no partition in the produce answer');
  return p;
}

export interface FetchedRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly value: string | null;
}

export interface FetchedData {
  readonly batches: readonly BatchHeader[];
  readonly records: readonly FetchedRecord[];
  readonly bytes: number;
}

/** Splits a fetch response's records into batches, checks their CRCs and decodes every record. */
export function readFetched(records: Buffer | null): FetchedData {
  const batches: BatchHeader[] = [];
  const out: FetchedRecord[] = [];
  if (records === null) return { batches, records: out, bytes: 0 };
  let pos = 0;
  while (pos < records.length) {
    const h = readBatchHeader(records, pos);
    const size = h.batchLength + 12;
    // Consumers verify every batch's CRC (Java's check.crcs defaults to true).
    const crc = crc32c(records.subarray(pos + ATTRIBUTES_OFFSET, pos + size));
    if (crc !== h.crc) throw new Error(`fetched batch at ${h.baseOffset} fails its CRC (stored ${h.crc}, computed ${crc})`);
    const decoded = readRecords(records.subarray(pos, pos + size), 64 * 1024 * 1024);
    if (!decoded.ok) throw new Error(`fetched batch at ${h.baseOffset} does not decode: ${decoded.error.message}`);
    batches.push(h);
    for (const r of decoded.records) out.push({ offset: r.offset, timestamp: r.timestamp, value: r.value === null ? null : r.value.toString('utf8') });
    pos += size;
  }
  return { batches, records: out, bytes: records.length };
}

export interface FetchPartitionSpec {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly partitionMaxBytes?: number;
  readonly currentLeaderEpoch?: number;
}

export interface FetchOptions {
  readonly version?: number;
  readonly maxWaitMs?: number;
  readonly minBytes?: number;
  readonly maxBytes?: number;
  readonly isolationLevel?: number;
  readonly sessionId?: number;
  readonly signal?: AbortSignal;
  readonly responseBudget?: ResponseAllowance;
}

/** A fetch of several partitions (by name below v13, by topic id from v13). */
export async function fetchMany(world: DataPathWorld, partitions: readonly FetchPartitionSpec[], o: FetchOptions = {}): Promise<FetchResponse> {
  const version = o.version ?? FETCH_VERSION;
  const requestTopics: { topic: string; topicId: string; partitions: Input<FetchRequestFetchPartition>[] }[] = [];
  for (const p of partitions) {
    const topicId = world.topic(p.topic)?.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA';
    let t = requestTopics[requestTopics.length - 1];
    if (t === undefined || t.topic !== p.topic) requestTopics.push((t = { topic: p.topic, topicId, partitions: [] }));
    t.partitions.push({
      partition: p.partition,
      currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
      fetchOffset: p.offset,
      lastFetchedEpoch: -1,
      logStartOffset: -1,
      partitionMaxBytes: p.partitionMaxBytes ?? 1024 * 1024,
    });
  }
  return world.call(
    ApiKey.Fetch,
    version,
    {
      replicaId: -1,
      maxWaitMs: o.maxWaitMs ?? 0,
      minBytes: o.minBytes ?? 0,
      maxBytes: o.maxBytes ?? 50 * 1024 * 1024,
      isolationLevel: o.isolationLevel ?? 0,
      sessionId: o.sessionId ?? 0,
      sessionEpoch: o.sessionId === undefined ? -1 : 0,
      topics: requestTopics,
      forgottenTopicsData: [],
      rackId: '',
    },
    { ...(o.signal === undefined ? {} : { signal: o.signal }), ...(o.responseBudget === undefined ? {} : { responseBudget: o.responseBudget }) },
  );
}

/** Fetches one partition; returns its answer with the records decoded. */
export async function fetchOne(world: DataPathWorld, spec: FetchPartitionSpec, o: FetchOptions = {}): Promise<FetchResponsePartitionData & { fetched: FetchedData }> {
  const r = await fetchMany(world, [spec], o);
  if (r.errorCode !== 0) throw new Error(`fetch failed at the top level with ${r.errorCode}`);
  const p = r.responses[0]?.partitions[0];
  if (p === undefined || r.responses.length !== 1 || r.responses[0]!.partitions.length !== 1) throw new Error('expected one partition in the fetch answer');
  return { ...p, fetched: readFetched(p.records) };
}

/** Fetches one partition from `offset` up to its high watermark, fetch after fetch, as a consumer does. */
export async function fetchAll(world: DataPathWorld, topic: string, partition: number, offset = 0): Promise<FetchedData> {
  const batches: BatchHeader[] = [];
  const records: FetchedRecord[] = [];
  let bytes = 0;
  for (let position = offset, rounds = 0; ; rounds++) {
    const p = await fetchOne(world, { topic, partition, offset: position });
    if (p.errorCode !== 0) throw new Error(`fetch at ${position} failed with ${p.errorCode}`);
    if (p.fetched.batches.length === 0) {
      if (position >= p.highWatermark) return { batches, records, bytes };
      throw new Error(`no progress at ${position} below the high watermark ${p.highWatermark}`);
    }
    if (rounds > 1000) throw new Error('too many fetches');
    batches.push(...p.fetched.batches);
    records.push(...p.fetched.records.filter((r) => r.offset >= position));
    bytes += p.fetched.bytes;
    const last = p.fetched.batches[p.fetched.batches.length - 1]!;
    position = last.baseOffset + last.lastOffsetDelta + 1;
  }
}

/** ListOffsets for one partition. */
export async function listOffset(
  world: DataPathWorld,
  topic: string,
  partition: number,
  timestamp: number,
  o: { version?: number; currentLeaderEpoch?: number; isolationLevel?: number } = {},
): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  const r = await world.call(ApiKey.ListOffsets, o.version ?? LIST_OFFSETS_VERSION, {
    replicaId: -1,
    isolationLevel: o.isolationLevel ?? 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: o.currentLeaderEpoch ?? -1, timestamp }] }],
  });
  const p = r.topics[0]?.partitions[0];
  if (p === undefined) throw new Error('no partition in the ListOffsets answer');
  return p;
}
