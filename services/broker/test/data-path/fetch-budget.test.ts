// Fetch and the response budget: before reading, a fetch reserves what the read can
// return (PartitionMaxBytes per partition with data, at most MaxBytes), does not read
// until the reservation is granted, and holds nothing while a long poll sleeps.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponseAllowance } from '../../src/handler.ts';
import { fetchMany, fetchOne, produceValues } from './support/kafka.ts';
import { DataPathWorld, eventually } from './support/world.ts';

let world: DataPathWorld;
let n = 0;
const fresh = (): string => `fetch-budget-${++n}`;

beforeAll(async () => {
  world = await DataPathWorld.open();
});

afterAll(async () => {
  await world?.close();
});

/** An allowance that records calls and, while `gate` is set, grants only when it resolves. */
class RecordingAllowance implements ResponseAllowance {
  heldBytes = 0;
  readonly calls: string[] = [];
  gate: Promise<void> | undefined;

  async reserve(bytes: number): Promise<boolean> {
    this.calls.push(`reserve ${bytes}`);
    if (this.gate !== undefined) await this.gate;
    this.heldBytes = Math.max(this.heldBytes, bytes);
    return true;
  }

  trim(bytes: number): void {
    this.calls.push(`trim ${bytes}`);
    this.heldBytes = Math.min(this.heldBytes, bytes);
  }
}

describe('Fetch reserves response bytes', () => {
  it('reserves PartitionMaxBytes for each partition with data, capped at MaxBytes', async () => {
    const topic = fresh();
    await world.createTopic(topic, 3);
    await produceValues(world, topic, 0, [['a']]);
    await produceValues(world, topic, 1, [['b']]);
    const partitions = [0, 1, 2].map((partition) => ({ topic, partition, offset: 0, partitionMaxBytes: 1_000 }));

    const wide = new RecordingAllowance();
    const r = await fetchMany(world, partitions, { responseBudget: wide });
    expect(r.responses[0]!.partitions.map((p) => p.records?.length ?? 0).filter((bytes) => bytes > 0)).toHaveLength(2);
    expect(wide.calls).toEqual(['reserve 2000']);

    const capped = new RecordingAllowance();
    await fetchMany(world, partitions, { responseBudget: capped, maxBytes: 1_500 });
    expect(capped.calls).toEqual(['reserve 1500']);
  });

  it('does not read before its reservation is granted', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['first']]);
    const allowance = new RecordingAllowance();
    let grant!: () => void;
    allowance.gate = new Promise((resolve) => (grant = resolve));
    const fetching = fetchOne(world, { topic, partition: 0, offset: 0 }, { responseBudget: allowance });
    await eventually(() => allowance.calls.length === 1, 'reservation asked for');
    // Appended while the fetch waits for its reservation: the read after the grant sees it.
    await produceValues(world, topic, 0, [['second']]);
    grant();
    const p = await fetching;
    expect(p.fetched.records.map((rec) => rec.value)).toEqual(['first', 'second']);
  });

  it('a caught-up long poll reserves nothing and holds nothing while it sleeps', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['x']]);
    const allowance = new RecordingAllowance();
    allowance.heldBytes = 10; // as if an earlier round had reserved
    const polling = fetchOne(world, { topic, partition: 0, offset: 1, partitionMaxBytes: 4_096 }, { responseBudget: allowance, maxWaitMs: 5_000, minBytes: 1 });
    await eventually(() => allowance.calls.includes('trim 0'), 'gave back before sleeping');
    expect(allowance.calls).toEqual(['trim 0']);
    expect(allowance.heldBytes).toBe(0);
    await produceValues(world, topic, 0, [['y']]);
    const p = await polling;
    expect(p.fetched.records.map((rec) => rec.value)).toEqual(['y']);
    expect(allowance.calls).toEqual(['trim 0', 'reserve 4096']);
  });
});
