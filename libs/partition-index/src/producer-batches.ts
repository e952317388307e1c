// Idempotent-producer state that travels with commits: the last few batches of each
// producer of a partition (sequence range and base offset), so a broker that opens the
// partition later — after a restart, or as a new leader — keeps answering retries of
// committed batches with their original offsets instead of writing them again.
//
// The uploader derives the records from the batch headers of the object it commits
// (producerBatchesOf); the partition index merges those of accepted partitions into a
// bounded per-partition table (mergeProducerBatches) and lists it back
// (listProducerBatches). Both indexes (in memory, the controller's) use these functions,
// so they keep the same rules:
// - per producer, only the last PRODUCER_BATCH_WINDOW batches are kept, oldest first
//   (Kafka keeps five, matching max.in.flight.requests.per.connection <= 5);
// - a newer producer epoch starts the producer's list afresh; a batch of an older epoch
//   than the known one is ignored;
// - at most `maxProducers` producers per partition; the least recently written is
//   evicted first (Map insertion order is the recency order).

import { CONTROL_MASK, LOG_OVERHEAD, readBatchHeader } from '@stratus/protocol';
import type { BatchHeader } from '@stratus/protocol';
import { partitionKey } from './extent.ts';
import type { TopicPartition } from './extent.ts';
import type { ProducerBatchRecord } from './committer.ts';

export const PRODUCER_BATCH_WINDOW = 5;
export const DEFAULT_MAX_PRODUCERS_PER_PARTITION = 1000;

/** One producer's committed history in a partition. */
export interface ProducerHistory {
  epoch: number;
  /** Oldest first, at most PRODUCER_BATCH_WINDOW. */
  batches: ProducerBatchRecord[];
}

/** producerId → history; iteration order is least recently written first. */
export type ProducerTable = Map<number, ProducerHistory>;

/**
 * The producer batches in a set of entries (one object), in entry order: for each
 * (partition, producerId), the last PRODUCER_BATCH_WINDOW batches. Batches without a
 * producer id and control batches carry no sequence state and are skipped.
 */
export function producerBatchesOf(entries: readonly (TopicPartition & { readonly batch: Buffer })[]): ProducerBatchRecord[] {
  const all: ProducerBatchRecord[] = [];
  for (const e of entries) {
    for (let pos = 0; pos + LOG_OVERHEAD <= e.batch.length; ) {
      let h: BatchHeader;
      try {
        h = readBatchHeader(e.batch, pos);
      } catch {
        // Batches were validated on produce; should one not parse, it only lacks producer
        // state (a retry of it would be written again), which must not block its upload.
        break;
      }
      if (h.producerId >= 0 && (h.attributes & CONTROL_MASK) === 0) {
        all.push({
          topicId: e.topicId,
          partition: e.partition,
          producerId: h.producerId,
          producerEpoch: h.producerEpoch,
          baseSequence: h.baseSequence,
          lastOffsetDelta: h.lastOffsetDelta,
          baseOffset: h.baseOffset,
        });
      }
      if (!(h.batchLength > 0)) break;
      pos += LOG_OVERHEAD + h.batchLength;
    }
  }
  // Keep the last WINDOW per (partition, producer): count from the end.
  const seen = new Map<string, number>();
  const keep: boolean[] = new Array<boolean>(all.length);
  for (let i = all.length - 1; i >= 0; i--) {
    const b = all[i]!;
    const key = `${partitionKey(b.topicId, b.partition)}:${b.producerId}`;
    const n = seen.get(key) ?? 0;
    keep[i] = n < PRODUCER_BATCH_WINDOW;
    seen.set(key, n + 1);
  }
  return all.filter((_, i) => keep[i]);
}

/** The batch record's own fields and nothing else (a wire message or a stored record may carry more). */
export function copyProducerBatch(b: ProducerBatchRecord): ProducerBatchRecord {
  return {
    topicId: b.topicId,
    partition: b.partition,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    lastOffsetDelta: b.lastOffsetDelta,
    baseOffset: b.baseOffset,
  };
}

/**
 * The producer records of partitions the commit accepted extents of: rejected partitions
 * (and partitions the commit has no extent of) record nothing.
 */
export function acceptedProducerBatches(producers: readonly ProducerBatchRecord[] | undefined, accepted: readonly TopicPartition[]): ProducerBatchRecord[] {
  if (producers === undefined || producers.length === 0) return [];
  const keys = new Set(accepted.map((e) => partitionKey(e.topicId, e.partition)));
  return producers.filter((b) => keys.has(partitionKey(b.topicId, b.partition)));
}

/** Merges one partition's batches (in offset order) into its table. */
export function mergeProducerBatches(table: ProducerTable, batches: readonly ProducerBatchRecord[], maxProducers: number): void {
  for (const b of batches) {
    let h = table.get(b.producerId);
    if (h !== undefined && b.producerEpoch < h.epoch) continue;
    if (h === undefined || b.producerEpoch > h.epoch) h = { epoch: b.producerEpoch, batches: [] };
    table.delete(b.producerId); // re-insert: most recently written last
    table.set(b.producerId, h);
    h.batches.push(b);
    if (h.batches.length > PRODUCER_BATCH_WINDOW) h.batches.splice(0, h.batches.length - PRODUCER_BATCH_WINDOW);
    while (table.size > maxProducers) {
      const oldest = table.keys().next().value;
      if (oldest === undefined) break;
      table.delete(oldest);
    }
  }
}

/** Every batch of the table: producers least recently written first, each one's batches oldest first. */
export function listProducerBatches(table: ProducerTable | undefined): ProducerBatchRecord[] {
  const out: ProducerBatchRecord[] = [];
  if (table !== undefined) for (const h of table.values()) out.push(...h.batches);
  return out;
}

/** A copy whose lists can be changed without touching the original (records are shared: immutable). */
export function cloneProducerTable(table: ProducerTable): ProducerTable {
  const out: ProducerTable = new Map();
  for (const [id, h] of table) out.set(id, { epoch: h.epoch, batches: [...h.batches] });
  return out;
}
