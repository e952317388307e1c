// Idempotent-producer state of one partition: per producer id, its epoch and the last
// five batches' sequence ranges with the offsets they were written at (Kafka keeps five,
// matching max.in.flight.requests.per.connection <= 5).
//
// Rules (Kafka's ProducerStateManager):
// - older epoch than known: INVALID_PRODUCER_EPOCH;
// - newer epoch: the sequence must restart at 0;
// - same epoch: a batch equal to one of the last five is a duplicate (answered with its
//   original offsets, not written again); otherwise it must start right after the last
//   sequence (wrapping at 2^31 - 1), else OUT_OF_ORDER_SEQUENCE_NUMBER;
// - a producer that has written nothing here: its first batch must start at sequence 0,
//   else OUT_OF_ORDER_SEQUENCE_NUMBER. Every client starts a partition at 0 under each
//   (producer id, epoch), so a later first batch means an earlier one is still in flight
//   — typically to the old leader after a failover, while the client sent the next batch
//   to the new one. Kafka accepts it (its transactions v2 producers aside) and then
//   refuses the earlier batch forever: the Java producer retries it until
//   delivery.timeout.ms and drops its records (found by the zombie-broker test). Refused
//   here, the client holds the later batch until the earlier one is answered, which then
//   starts the producer's state here at 0.
// Entries are bounded: `maxProducers` per partition, the least recently written
// forgotten first. Once the table has forgotten one — or was loaded from a committed
// table that may have (`knowsEveryProducer` false) — an unknown producer may be a
// forgotten one, and its batch is accepted at any sequence, exactly as in Kafka once
// producer.id.expiration.ms has passed; refusing it would fail writes over a bookkeeping
// limit. Only a retry of a batch written before it was forgotten could then be written
// twice.

import { ErrorCode } from '@stratus/protocol';

export const WINDOW = 5;
export const DEFAULT_MAX_PRODUCERS = 10_000;
const INT32_MAX = 0x7fffffff;

interface CachedBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Resolves to the batch's base offset once appended (pipelined batches are recorded before). */
  readonly baseOffset: Promise<number>;
}

interface ProducerEntry {
  epoch: number;
  batches: CachedBatch[];
  /**
   * With no batch left (the ones recorded failed before being written): the sequence the
   * next batch must start at, so a later pipelined batch cannot be written past the gap.
   */
  nextSeq?: number | undefined;
}

export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly baseOffset: Promise<number> }
  | { readonly kind: 'error'; readonly errorCode: number; readonly message: string };

export function lastSequence(firstSeq: number, lastOffsetDelta: number): number {
  const last = firstSeq + lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

function nextSequence(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1;
}

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();
  private readonly maxProducers: number;
  private knowsEveryProducer: boolean;

  /**
   * `knowsEveryProducer`: false when the state is loaded from a source that may have
   * forgotten producers (a committed table at its bound); then, as after this table's own
   * first eviction, an unknown producer is accepted at any sequence.
   */
  constructor(maxProducers = DEFAULT_MAX_PRODUCERS, knowsEveryProducer = true) {
    if (!Number.isSafeInteger(maxProducers) || maxProducers < 1) throw new RangeError(`maxProducers must be a positive integer, got ${maxProducers}`);
    this.maxProducers = maxProducers;
    this.knowsEveryProducer = knowsEveryProducer;
  }

  get size(): number {
    return this.producers.size;
  }

  check(producerId: number, epoch: number, firstSeq: number, lastOffsetDelta: number): SequenceCheck {
    const entry = this.producers.get(producerId);
    if (entry === undefined) {
      if (firstSeq === 0 || !this.knowsEveryProducer) return { kind: 'append' };
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${producerId} has written nothing to this partition: its first batch must start at sequence 0, got ${firstSeq}`,
      };
    }
    if (epoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${producerId} epoch ${epoch} is older than ${entry.epoch}` };
    }
    if (epoch > entry.epoch) {
      if (firstSeq !== 0) return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `new epoch ${epoch} must start at sequence 0, got ${firstSeq}` };
      return { kind: 'append' };
    }
    const lastSeq = lastSequence(firstSeq, lastOffsetDelta);
    for (const b of entry.batches) {
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: 'duplicate', baseOffset: b.baseOffset };
    }
    const latest = entry.batches[entry.batches.length - 1];
    const expected = latest !== undefined ? nextSequence(latest.lastSeq) : entry.nextSeq;
    if (expected !== undefined && firstSeq !== expected) {
      return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `expected sequence ${expected}, got ${firstSeq}` };
    }
    return { kind: 'append' };
  }

  /**
   * Records a batch as it is handed to the log, in append order, before it is durable:
   * the next pipelined batch is checked against it. If the append fails, the batch is
   * forgotten again, so the producer's retry is not mistaken for a duplicate.
   */
  record(producerId: number, epoch: number, firstSeq: number, lastOffsetDelta: number, baseOffset: Promise<number>): void {
    let entry = this.producers.get(producerId);
    if (entry === undefined || epoch > entry.epoch) entry = { epoch, batches: [] };
    this.producers.delete(producerId); // re-insert: Map order is our LRU order
    this.producers.set(producerId, entry);
    entry.nextSeq = undefined;
    const cached: CachedBatch = { firstSeq, lastSeq: lastSequence(firstSeq, lastOffsetDelta), baseOffset };
    entry.batches.push(cached);
    if (entry.batches.length > WINDOW) entry.batches.shift();
    const owner = entry;
    baseOffset.catch(() => {
      // Nothing of it was written, and nothing recorded after it is (appends of a partition
      // fail in order): forget it and them; the producer must send it again first.
      const at = owner.batches.indexOf(cached);
      if (at < 0) return;
      owner.batches = owner.batches.slice(0, at);
      if (owner.batches.length === 0) owner.nextSeq = firstSeq;
    });
    if (this.producers.size > this.maxProducers) {
      const oldest = this.producers.keys().next().value;
      if (oldest !== undefined) this.producers.delete(oldest);
      this.knowsEveryProducer = false;
    }
  }
}
