// Fetch (key 1), versions 4–17 (topics by name up to v12, by topic id from v13).
//
// Each partition returns whole batches starting with the one that holds the fetch
// offset — record bytes exactly as stored, never decoded or copied (the encoder writes
// them as separate chunks). Limits: the response is capped at min(MaxBytes,
// fetch.max.bytes) and each partition at PartitionMaxBytes, except that the first batch
// of the first partition with data is always returned whole (KIP-74), so a consumer can
// never get stuck behind a large batch. MinBytes/MaxWaitMs long-poll: when there is not
// enough data the request sleeps until a partition's high watermark moves (appends wake
// it), the wait ends, or the connection closes. Any partition error answers at once.
//
// A partition whose read fails or takes longer than fetch.readTimeout (the object store is
// down or slow; its GETs go on retrying) gets KAFKA_STORAGE_ERROR, which clients retry;
// the other partitions of the request are answered as usual.
//
// Fetch sessions (KIP-227) are declined: the response carries session id 0, so clients
// send full fetch requests; a request naming a session gets FETCH_SESSION_ID_NOT_FOUND.
// There are no transactions yet, so the last stable offset is the high watermark and no
// aborted transactions are reported. Reads are served by the partition's leader.
//
// Memory: before each read the request reserves, from the network layer's response
// budget, what the read could return (see roundBytes), and gives it back before a long
// poll sleeps, so a waiting fetch holds nothing.

import { CANCELLED } from '@stratus/runtime';
import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { FetchResponsePartitionData, Input } from '@stratus/protocol';
import type { PartitionLog, ReadResult } from '@stratus/storage';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from '../handler.ts';
import { ledPartition } from '../led-partition.ts';
import { withinTimeout } from '../within-timeout.ts';
import { DEFAULT_FETCH_READ_TIMEOUT_MS } from '../broker-context.ts';

interface Slot {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  readonly log: PartitionLog | undefined;
  readonly errorCode: number;
}

const READ_COMMITTED = 1;

export function fetchHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.Fetch,
    accept: [4, 17],
    handle: async (req, rctx) => {
      const version = rctx.header.apiVersion;
      if (req.sessionId !== 0) return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [], throttleTimeMs: 0 };
      const catalog = ctx.catalog();
      const slots: Slot[] = [];
      for (const t of req.topics) {
        const topic = version >= 13 ? catalog.topicById(t.topicId) : catalog.topic(t.topic);
        for (const p of t.partitions) {
          const base = { topic: t.topic, topicId: t.topicId, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes };
          if (topic === undefined) {
            slots.push({ ...base, log: undefined, errorCode: version >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
            continue;
          }
          const led = await ledPartition(ctx, topic, p.partition, p.currentLeaderEpoch);
          slots.push({ ...base, topic: topic.name, topicId: topic.topicId, log: led.ok ? led.open.log : undefined, errorCode: led.ok ? ErrorCode.NONE : led.errorCode });
        }
      }

      const maxWaitMs = Math.max(0, Math.min(req.maxWaitMs, ctx.config.fetchMaxWaitMs));
      const responseMaxBytes = Math.max(1, Math.min(req.maxBytes, ctx.config.fetchMaxBytes));
      const started = ctx.clock.monotonicMs();
      const budget = rctx.responseBudget;
      for (;;) {
        // Estimated again after a wait (data may have arrived meanwhile); no wait, no await.
        for (let want = roundBytes(slots, responseMaxBytes); budget !== undefined && want > budget.heldBytes; want = roundBytes(slots, responseMaxBytes)) {
          // False: the connection is closing and the answer will not be sent; read without holding.
          if (!(await budget.reserve(want))) break;
        }
        const round = await readRound(ctx, slots, responseMaxBytes, req.isolationLevel);
        const waited = ctx.clock.monotonicMs() - started;
        const done = round.bytes >= req.minBytes || round.error || waited >= maxWaitMs || rctx.signal.aborted || slots.every((s) => s.log === undefined);
        if (done) {
          return {
            throttleTimeMs: 0,
            errorCode: ErrorCode.NONE,
            sessionId: 0,
            responses: groupByTopic(slots, round.results),
          };
        }
        // The round's batches are dropped; the next round reads (and reserves) again.
        budget?.trim(0);
        await waitForData(ctx, slots, maxWaitMs - waited, rctx.signal);
      }
    },
  });
}

/**
 * What the next read can return, to reserve before it: PartitionMaxBytes for each
 * partition with data past its fetch offset, at most the response limit — one
 * comparison per partition, nothing per record. A caught-up consumer reserves nothing
 * and never waits. The answer can still exceed it by KIP-74's oversized first batch, or
 * by data that arrives between the estimate and a read; the network layer charges the
 * answer's real size when it is written.
 */
function roundBytes(slots: readonly Slot[], responseMaxBytes: number): number {
  let bytes = 0;
  for (const s of slots) {
    if (s.log !== undefined && s.fetchOffset < s.log.highWatermark) bytes += Math.max(0, s.partitionMaxBytes);
  }
  return Math.min(bytes, responseMaxBytes);
}

interface Round {
  readonly results: Input<FetchResponsePartitionData>[];
  readonly bytes: number;
  readonly error: boolean;
}

async function readRound(ctx: BrokerContext, slots: readonly Slot[], responseMaxBytes: number, isolationLevel: number): Promise<Round> {
  const early = startReads(slots, responseMaxBytes);
  const results: Input<FetchResponsePartitionData>[] = [];
  let bytes = 0;
  let error = false;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const base = { partitionIndex: s.partition, preferredReadReplica: -1, abortedTransactions: isolationLevel === READ_COMMITTED ? [] : null };
    if (s.log === undefined) {
      error = true;
      results.push({ ...base, errorCode: s.errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: [] });
      continue;
    }
    const remaining = responseMaxBytes - bytes;
    if (remaining <= 0) {
      results.push({ ...base, errorCode: ErrorCode.NONE, highWatermark: s.log.highWatermark, lastStableOffset: s.log.highWatermark, logStartOffset: s.log.logStartOffset, records: [] });
      continue;
    }
    const limit = Math.min(s.partitionMaxBytes, remaining);
    const r = await readWithin(ctx, early[i] ?? s.log.read(s.fetchOffset, Math.max(1, limit)));
    if (r === 'unavailable') {
      error = true;
      results.push({ ...base, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, highWatermark: s.log.highWatermark, lastStableOffset: s.log.highWatermark, logStartOffset: s.log.logStartOffset, records: [] });
      continue;
    }
    if (!r.ok) {
      error = true;
      results.push({ ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: r.highWatermark, lastStableOffset: r.highWatermark, logStartOffset: r.logStartOffset, records: [] });
      continue;
    }
    // Whole batches within the limit; KIP-74: the first batch of the first partition with
    // data goes out even when it alone is larger.
    let taken = 0;
    let size = 0;
    while (taken < r.batches.length && (size + r.batches[taken]!.length <= limit || (bytes === 0 && taken === 0))) size += r.batches[taken++]!.length;
    const records = taken === r.batches.length ? r.batches : r.batches.slice(0, taken);
    bytes += size;
    results.push({ ...base, errorCode: ErrorCode.NONE, highWatermark: r.highWatermark, lastStableOffset: r.highWatermark, logStartOffset: r.logStartOffset, records });
  }
  return { results, bytes, error };
}

/**
 * A read's result, or 'unavailable' when it failed or did not finish within
 * fetch.readTimeout: the object store is down or slow. The read goes on in the background
 * (its blocks land in the cache for the client's retry).
 */
async function readWithin(ctx: BrokerContext, read: Promise<ReadResult>): Promise<ReadResult | 'unavailable'> {
  try {
    const r = await withinTimeout(ctx.clock, read, ctx.config.fetchReadTimeoutMs ?? DEFAULT_FETCH_READ_TIMEOUT_MS);
    return r === 'timeout' ? 'unavailable' : r;
  } catch {
    return 'unavailable';
  }
}

/**
 * Starts the reads of the first partitions at once — as many as the response could hold
 * if each filled its whole partition limit — so that reads from the object store overlap
 * instead of queueing one behind another. Each is limited to what would be left of the
 * response after the ones before it, so it never reads more than the sequential pass can
 * use; partitions past that point are read in the pass with the room really left.
 */
function startReads(slots: readonly Slot[], responseMaxBytes: number): (Promise<ReadResult> | undefined)[] {
  const early: (Promise<ReadResult> | undefined)[] = [];
  let reserved = 0;
  for (const s of slots) {
    if (s.log === undefined || reserved >= responseMaxBytes) {
      early.push(undefined);
      continue;
    }
    const limit = Math.min(s.partitionMaxBytes, responseMaxBytes - reserved);
    const read = s.log.read(s.fetchOffset, Math.max(1, limit));
    read.catch(() => undefined); // awaited in order below; a failure is reported there, not as unhandled
    early.push(read);
    reserved += limit;
  }
  return early;
}

/** Sleeps until a partition gets data past its fetch offset, the time is up, or the connection closes. */
async function waitForData(ctx: BrokerContext, slots: readonly Slot[], waitMs: number, connection: AbortSignal): Promise<void> {
  const stop = new AbortController();
  const onClose = (): void => stop.abort(CANCELLED);
  connection.addEventListener('abort', onClose, { once: true });
  try {
    // Wake on data beyond what this round already saw (not merely beyond the fetch offset,
    // which would spin while MinBytes is not reached).
    const wakes = slots.filter((s) => s.log !== undefined).map((s) => s.log!.waitForData(Math.max(s.fetchOffset, s.log!.highWatermark), stop.signal));
    await Promise.race([...wakes, ctx.clock.sleep(waitMs, stop.signal).catch(() => undefined)]);
  } finally {
    stop.abort(CANCELLED);
    connection.removeEventListener('abort', onClose);
  }
}

function groupByTopic(slots: readonly Slot[], results: readonly Input<FetchResponsePartitionData>[]) {
  const topics: { topic: string; topicId: string; partitions: Input<FetchResponsePartitionData>[] }[] = [];
  slots.forEach((s, i) => {
    const last = topics[topics.length - 1];
    if (last !== undefined && last.topicId === s.topicId && last.topic === s.topic) last.partitions.push(results[i]!);
    else topics.push({ topic: s.topic, topicId: s.topicId, partitions: [results[i]!] });
  });
  return topics;
}
