// InitProducerId (API 22) through the dispatcher of a real broker: the ids idempotent
// producers stamp on their batches. Two producers sharing an id would fence or
// deduplicate each other's batches, so uniqueness is the property that matters.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, errorName } from '@stratus/protocol';
import { idempotentBatch, produce } from './support/kafka.ts';
import { DataPathWorld } from './support/world.ts';

let world: DataPathWorld;

beforeAll(async () => {
  world = await DataPathWorld.open();
});

afterAll(async () => {
  await world?.close();
});

async function initProducerId(w: DataPathWorld, version: number, body: { transactionalId?: string | null; producerId?: number; producerEpoch?: number } = {}) {
  return w.call(ApiKey.InitProducerId, version, {
    transactionalId: body.transactionalId ?? null,
    transactionTimeoutMs: 60_000,
    producerId: body.producerId ?? -1,
    producerEpoch: body.producerEpoch ?? -1,
  });
}

describe('InitProducerId', () => {
  it('hands out unique, increasing ids with epoch 0 — across id blocks and concurrent calls', async () => {
    const sequential: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await initProducerId(world, 4);
      expect(errorName(r.errorCode)).toBe('NONE');
      expect(r.producerEpoch).toBe(0);
      sequential.push(r.producerId);
    }
    expect(sequential[0]).toBeGreaterThanOrEqual(0);
    expect(sequential).toEqual([...sequential].sort((a, b) => a - b));
    // Many at once: more than one block of ids (the broker takes blocks of 1000 from the controller).
    const concurrent = await Promise.all(Array.from({ length: 2_100 }, (_, i) => initProducerId(world, i % 5)));
    const ids = concurrent.map((r) => r.producerId);
    expect(concurrent.every((r) => r.errorCode === 0 && r.producerEpoch === 0)).toBe(true);
    expect(new Set([...sequential, ...ids]).size).toBe(2_105);
    expect(Math.min(...ids)).toBeGreaterThan(sequential[4]!);
  });

  it('ids stay unique across a broker restart', async () => {
    const w = await DataPathWorld.open();
    try {
      const before = (await initProducerId(w, 4)).producerId;
      await w.restart();
      const after = (await initProducerId(w, 4)).producerId;
      expect(after).not.toBe(before);
      expect(after).toBeGreaterThan(before);
    } finally {
      await w.close();
    }
  });

  it('v3+: a producer passing its id and epoch gets the same id with the epoch bumped (KIP-360)', async () => {
    const first = await initProducerId(world, 4);
    const bumped = await initProducerId(world, 3, { producerId: first.producerId, producerEpoch: first.producerEpoch });
    expect(bumped).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: 1 });
    const again = await initProducerId(world, 4, { producerId: first.producerId, producerEpoch: 1 });
    expect(again).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: 2 });
    // An exhausted epoch gets a fresh id.
    const exhausted = await initProducerId(world, 4, { producerId: first.producerId, producerEpoch: 32766 });
    expect(exhausted.errorCode).toBe(0);
    expect(exhausted.producerId).not.toBe(first.producerId);
    expect(exhausted.producerEpoch).toBe(0);
  });

  it('the bumped epoch fences the old one on the produce path', async () => {
    const topic = 'fencing';
    await world.createTopic(topic);
    const { producerId } = await initProducerId(world, 4);
    expect(errorName((await produce(world, topic, 0, idempotentBatch(producerId, 0, 0, 2))).errorCode)).toBe('NONE');
    const bumped = await initProducerId(world, 4, { producerId, producerEpoch: 0 });
    expect(errorName((await produce(world, topic, 0, idempotentBatch(producerId, bumped.producerEpoch, 0, 1))).errorCode)).toBe('NONE');
    expect(errorName((await produce(world, topic, 0, idempotentBatch(producerId, 0, 2, 1))).errorCode)).toBe('INVALID_PRODUCER_EPOCH');
  });

  it('refuses a transactional id: transactions are not supported', async () => {
    const r = await initProducerId(world, 4, { transactionalId: 'txn-1' });
    expect(r.errorCode).not.toBe(0);
    expect(errorName(r.errorCode)).toBe('TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
    expect(r.producerId).toBe(-1);
    expect(r.producerEpoch).toBe(-1);
  });
});
