// Test helpers for compaction and the orphan sweep: real stream-set objects (real record
// batches, several partitions per object) put in a memory object store under uploader
// keys and committed to the controller, as a broker's uploader does; and a reader that
// walks a partition's extents and returns its batches.

import type { ObjectStore } from '@stratus/objectstore';
import { buildRecordBatch, readInt64 } from '@stratus/protocol';
import type { Clock } from '@stratus/runtime';
import { streamSetObjectKey } from '@stratus/partition-index';
import type { Extent, TopicPartition } from '@stratus/partition-index';
import { buildStreamSet } from '@stratus/stream-set';
import type { Controller } from '../../src/index.ts';

export const KEY_PREFIX = 'test';

export class Uploads {
  private seq = 0;
  /** Bytes of the batches uploaded so far. */
  batchBytes = 0;
  private readonly controller: Controller;
  private readonly store: ObjectStore;
  private readonly clock: Clock;

  constructor(controller: Controller, store: ObjectStore, clock: Clock) {
    this.controller = controller;
    this.store = store;
    this.clock = clock;
  }

  /**
   * One object holding `records` records (in one batch) for each partition listed,
   * appended at each partition's committed end; committed. Returns its key.
   */
  async upload(partitions: readonly TopicPartition[], records = 2, valueBytes = 50, options: { commit?: boolean; maxTimestamp?: number } = {}): Promise<string> {
    const batches = [];
    for (const tp of partitions) {
      const base = await this.controller.committedEndOffset(tp);
      const epoch = this.controller.metadata().topics.find((t) => t.topicId === tp.topicId)!.partitions[tp.partition]!.leaderEpoch;
      const ts = options.maxTimestamp ?? this.clock.nowMs();
      const bytes = buildRecordBatch({
        baseOffset: base,
        baseTimestamp: ts,
        partitionLeaderEpoch: epoch,
        records: Array.from({ length: records }, (_, i) => ({ key: `k${base + i}`, value: Buffer.alloc(valueBytes, (base + i) % 251), timestamp: ts })),
      });
      batches.push({ topicId: tp.topicId, partition: tp.partition, leaderEpoch: epoch, baseOffset: base, lastOffset: base + records - 1, maxTimestamp: ts, bytes });
    }
    for (const b of batches) this.batchBytes += b.bytes.length;
    const built = buildStreamSet(batches);
    const key = streamSetObjectKey(KEY_PREFIX, 1, this.clock.nowMs(), this.seq++);
    await this.store.put(key, built.body, { ifNoneMatch: true });
    if (options.commit === false) return key;
    const extents: Extent[] = built.extents.map((e) => ({ ...e, objectKey: key, objectSize: built.size }));
    const r = await this.controller.commit({ objectKey: key, objectSize: built.size, extents });
    if (r.rejected.length > 0) throw new Error(`commit rejected: ${JSON.stringify(r.rejected)}`);
    return key;
  }
}

/** Every committed batch of a partition from its log start, read through its extents: [baseOffset, bytes]. */
export async function readPartition(controller: Controller, store: ObjectStore, tp: TopicPartition): Promise<[number, Buffer][]> {
  const start = await controller.logStartOffset(tp);
  const out: [number, Buffer][] = [];
  for (const e of await controller.extentsFrom(tp, start, 1_000_000)) {
    const data = await readExtent(store, e);
    for (let pos = 0; pos < data.length; ) {
      const size = data.readInt32BE(pos + 8) + 12;
      const base = readInt64(data, pos);
      const last = base + data.readInt32BE(pos + 23);
      if (last >= start) out.push([base, Buffer.from(data.subarray(pos, pos + size))]);
      pos += size;
    }
  }
  return out;
}

export function readExtent(store: ObjectStore, e: Extent): Promise<Buffer> {
  return store.get(e.objectKey, { start: e.position, end: e.position + e.length });
}

/** The keys in the store, sorted. */
export async function storedKeys(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list('', cursor !== undefined ? { cursor } : {});
    for (const o of page.objects) keys.push(o.key);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return keys;
}
