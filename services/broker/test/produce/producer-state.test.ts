import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { ProducerStateTable, lastSequence } from '../../src/produce/producer-state.ts';

describe('ProducerStateTable (idempotent producers)', () => {
  it('accepts a new producer, then requires the next sequence', () => {
    const t = new ProducerStateTable();
    expect(t.check(7, 0, 0, 4).kind).toBe('append');
    t.record(7, 0, 0, 4, Promise.resolve(100));
    expect(t.check(7, 0, 5, 1).kind).toBe('append');
    expect(t.check(7, 0, 7, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  });

  it("refuses an unknown producer's first batch unless it starts at sequence 0, until the table may have forgotten producers", () => {
    const t = new ProducerStateTable(2);
    expect(t.check(5, 0, 8, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(t.check(5, 0, 0, 1).kind).toBe('append');
    t.record(1, 0, 0, 0, Promise.resolve(0));
    t.record(2, 0, 0, 0, Promise.resolve(1));
    expect(t.check(5, 0, 8, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER }); // nobody forgotten yet
    t.record(3, 0, 0, 0, Promise.resolve(2)); // producer 1 forgotten
    expect(t.check(5, 0, 8, 1).kind).toBe('append'); // may be a forgotten producer: accepted as Kafka does
    // Loaded from a committed table that may have forgotten producers: the same from the start.
    expect(new ProducerStateTable(2, false).check(5, 0, 8, 1).kind).toBe('append');
  });

  it('answers a retried batch with its original offsets (duplicates of the last five)', async () => {
    const t = new ProducerStateTable();
    for (let i = 0; i < 6; i++) t.record(1, 0, i * 10, 9, Promise.resolve(i * 10));
    const dup = t.check(1, 0, 20, 9);
    expect(dup.kind).toBe('duplicate');
    if (dup.kind === 'duplicate') expect(await dup.baseOffset).toBe(20);
    // The first batch fell out of the five-batch window: no longer a duplicate, out of order.
    expect(t.check(1, 0, 0, 9).kind).toBe('error');
  });

  it('treats a pipelined batch as recorded before it is durable, and forgets a failed one', async () => {
    const t = new ProducerStateTable();
    let fail!: (e: Error) => void;
    const pending = new Promise<number>((_, reject) => (fail = reject));
    t.record(3, 0, 0, 0, pending);
    expect(t.check(3, 0, 1, 0).kind).toBe('append'); // the next one is in sequence
    fail(new Error('wal failed'));
    await pending.catch(() => undefined);
    await Promise.resolve();
    expect(t.check(3, 0, 0, 0).kind).toBe('append'); // the retry is not a duplicate
  });

  it('after failed batches, requires the first of them again: nothing pipelined behind them is written past the gap', async () => {
    const t = new ProducerStateTable();
    const failing = (): { p: Promise<number>; fail: () => void } => {
      let fail!: () => void;
      const p = new Promise<number>((_, reject) => (fail = () => reject(new Error('no room'))));
      p.catch(() => undefined);
      return { p, fail };
    };
    const b0 = failing();
    const b1 = failing();
    t.record(9, 0, 0, 0, b0.p); // a new producer's first batch, sequence 0
    t.record(9, 0, 1, 0, b1.p); // pipelined behind it
    b0.fail();
    b1.fail();
    await Promise.resolve();
    await Promise.resolve();
    expect(t.check(9, 0, 2, 0)).toMatchObject({ kind: 'error', errorCode: 45 }); // OUT_OF_ORDER_SEQUENCE_NUMBER
    expect(t.check(9, 0, 1, 0)).toMatchObject({ kind: 'error', errorCode: 45 });
    expect(t.check(9, 0, 0, 0).kind).toBe('append');
  });

  it('fences older epochs and restarts sequences on a new epoch', () => {
    const t = new ProducerStateTable();
    t.record(9, 2, 0, 0, Promise.resolve(0));
    expect(t.check(9, 1, 1, 0)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(t.check(9, 3, 5, 0)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(t.check(9, 3, 0, 0).kind).toBe('append');
  });

  it('wraps sequence numbers at 2^31 - 1 and bounds the number of producers', () => {
    expect(lastSequence(0x7ffffffe, 3)).toBe(1);
    const t = new ProducerStateTable(2);
    t.record(1, 0, 0x7ffffffe, 1, Promise.resolve(0));
    expect(t.check(1, 0, 0, 0).kind).toBe('append');
    t.record(2, 0, 0, 0, Promise.resolve(0));
    t.record(3, 0, 0, 0, Promise.resolve(0));
    expect(t.size).toBe(2);
    expect(t.check(1, 0, 55, 0).kind).toBe('append'); // evicted: unknown producers are accepted
  });
});
