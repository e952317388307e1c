// The uploader hands the producer batches of the entries it uploads to the commit, so the
// partition index can keep deduplicating after a restart or a leader change (the rules
// for those records are @stratus/partition-index's, tested there).

import { afterEach, describe, expect, it } from 'vitest';
import { buildRecordBatch } from '@stratus/protocol';
import type { StorageEngine } from '../src/engine.ts';
import { TOPIC_A, batchAt } from './support/batches.ts';
import { makeWorld, runUntil } from './support/world.ts';
import type { World } from './support/world.ts';

const tp = { topicId: TOPIC_A, partition: 0 };

function idempotentBatch(baseOffset: number, producerId: number, producerEpoch: number, baseSequence: number, records: number): Buffer {
  return buildRecordBatch({
    baseOffset,
    producerId,
    producerEpoch,
    baseSequence,
    baseTimestamp: 1_700_000_000_000,
    records: Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: 'v' })),
  });
}

describe('Uploader passes producer batches with the commit', () => {
  let world: World | undefined;
  let engine: StorageEngine | undefined;
  afterEach(async () => {
    await engine?.close({ flush: false }).catch(() => undefined);
    world?.cleanup();
    engine = undefined;
    world = undefined;
  });

  it('commits the producer batches of the uploaded entries', async () => {
    world = makeWorld();
    const w = world;
    engine = await w.open();
    w.index.setLeaderEpoch(tp, 0);
    const log = await engine.openPartition({ ...tp, leaderEpoch: 0, durability: 'local' });
    await log.append(batchAt(0, 2), { lastOffsetDelta: 1, maxTimestamp: 1_700_000_000_001 });
    for (let i = 0; i < 7; i++) {
      await log.append(idempotentBatch(0, 42, 3, i * 5, 5), { lastOffsetDelta: 4, maxTimestamp: 1_700_000_000_000 });
    }
    await runUntil(w.clock, () => w.index.allExtents(tp).length > 0 && engine!.uploader.pendingEntries === 0);
    const got = await w.index.producerBatches(tp);
    expect(got.map((b) => [b.producerId, b.producerEpoch, b.baseSequence, b.lastOffsetDelta, b.baseOffset])).toEqual([
      [42, 3, 10, 4, 12],
      [42, 3, 15, 4, 17],
      [42, 3, 20, 4, 22],
      [42, 3, 25, 4, 27],
      [42, 3, 30, 4, 32],
    ]);
  });
});
