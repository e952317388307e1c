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
// aborted transactions are reported.
//
// KIP-392 (v11+, consumers only): the leader answers a fetch whose rack_id names a rack
// it is not in with that rack's read replica (cluster/cluster-view.ts) as
// preferred_read_replica and no records — as Kafka's leader skips the read then — when
// the replica can serve the fetch offset (committed data: log start <= offset <=
// committed end; Kafka likewise offers only replicas whose log reaches the offset). A
// read replica serves committed data of a partition it does not lead, up to the committed
// end the controller's index answers (its high watermark, asked every round; a long poll
// asks every replicas.pollIntervalMs). An offset past it is OFFSET_OUT_OF_RANGE when the
// client sent its leader epoch (KIP-320 clients then go back to the leader) and an empty
// answer when it did not (Kafka's rule for v11 clients without epochs, KAFKA-14272). A
// consumer fetching from a broker that is neither leader nor read replica, or with a
// version below 11, gets NOT_LEADER_OR_FOLLOWER.
//
// Memory: before each read the request reserves, from the network layer's response
// budget, what the read could return (see roundBytes), and gives it back before a long
// poll sleeps, so a waiting fetch holds nothing.

import { CANCELLED } from '@stratus/runtime';
import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { FetchResponsePartitionData, Input } from '@stratus/protocol';
import type { PartitionLog, ReadResult } from '@stratus/storage';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import type { RegisteredBroker, TopicInfo } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from '../handler.ts';
import { listenerView, preferredReadReplica, readReplicas } from '../cluster/cluster-view.ts';
import { ledPartition } from '../led-partition.ts';
import { withinTimeout } from '../within-timeout.ts';
import { DEFAULT_FETCH_READ_TIMEOUT_MS } from '../broker-context.ts';

interface Slot {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  /** Undefined: the slot answers `errorCode`. Cleared when a replica's end cannot be asked. */
  log: PartitionLog | undefined;
  errorCode: number;
  /** The leader sends the consumer to this read replica (KIP-392), without records; -1: none. */
  readonly preferredReadReplica: number;
  /** Served as a read replica: committed data only. */
  readonly replica: boolean;
  /** A replica answers an offset past its end empty instead of out of range (client sent no leader epoch). */
  readonly emptyPastEnd: boolean;
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
      // KIP-392 applies to consumers (replica id -1; in the replica state from v15) from v11.
      const consumer = version >= 11 && (version >= 15 ? req.replicaState.replicaId : req.replicaId) < 0;
      const clientRack = consumer ? req.rackId : '';
      // Read replicas among the brokers the client can reach: those of its listener (Kafka
      // picks among the replicas with an endpoint on it).
      const live = consumer ? listenerView(catalog.metadata, rctx.listenerName).brokers : [];
      const slots: Slot[] = [];
      // Kafka: READ on the topic (by name up to v12: checked before existence); a follower's fetch needs CLUSTER_ACTION.
      const follower = (version >= 15 ? req.replicaState.replicaId : req.replicaId) >= 0;
      const followerDenied = follower && !isAllowed(ctx.authorizer, rctx, AclOperation.CLUSTER_ACTION, 'cluster', CLUSTER_RESOURCE_NAME);
      for (const t of req.topics) {
        const topic = version >= 13 ? catalog.topicById(t.topicId) : catalog.topic(t.topic);
        const name = version >= 13 ? topic?.name : t.topic;
        const denied = followerDenied || (name !== undefined && !isAllowed(ctx.authorizer, rctx, AclOperation.READ, 'topic', name));
        for (const p of t.partitions) {
          const base = { topic: t.topic, topicId: t.topicId, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, preferredReadReplica: -1, replica: false, emptyPastEnd: false };
          if (denied) {
            slots.push({ ...base, log: undefined, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
            continue;
          }
          if (topic === undefined) {
            slots.push({ ...base, log: undefined, errorCode: version >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
            continue;
          }
          const named = { ...base, topic: topic.name, topicId: topic.topicId };
          const led = await ledPartition(ctx, topic, p.partition, p.currentLeaderEpoch);
          if (led.ok) {
            const log = led.open.log;
            let preferred = clientRack === '' ? -1 : preferredReadReplica(topic.topicId, p.partition, ctx.config.nodeId, live, clientRack);
            if (preferred >= 0 && !(p.fetchOffset >= log.logStartOffset && p.fetchOffset <= log.committedEndOffset)) preferred = -1;
            slots.push({ ...named, log, errorCode: ErrorCode.NONE, preferredReadReplica: preferred });
            continue;
          }
          if (led.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && consumer && ctx.replicas !== undefined) {
            slots.push(await replicaSlot(ctx, named, topic, p.currentLeaderEpoch, live));
            continue;
          }
          slots.push({ ...named, log: undefined, errorCode: led.errorCode });
        }
      }

      const maxWaitMs = Math.max(0, Math.min(req.maxWaitMs, ctx.config.fetchMaxWaitMs));
      // A consumer under a fetch quota gets at most what the quota window admits at once (Kafka's
      // maxValueInQuotaWindow): a larger answer would always be throttled and never delivered.
      const quotaMaxBytes = !follower ? (ctx.quotas?.maxFetchBytes(rctx.session, rctx.header.clientId) ?? Infinity) : Infinity;
      const responseMaxBytes = Math.max(1, Math.min(req.maxBytes, ctx.config.fetchMaxBytes, quotaMaxBytes));
      const started = ctx.clock.monotonicMs();
      const budget = rctx.responseBudget;
      for (;;) {
        // Estimated again after a wait (data may have arrived meanwhile); no wait, no await.
        for (let want = roundBytes(slots, responseMaxBytes); budget !== undefined && want > budget.heldBytes; want = roundBytes(slots, responseMaxBytes)) {
          // False: the connection is closing and the answer will not be sent; read without holding.
          if (!(await budget.reserve(want))) break;
        }
        await syncReplicas(slots);
        const round = await readRound(ctx, slots, responseMaxBytes, req.isolationLevel);
        const waited = ctx.clock.monotonicMs() - started;
        // A preferred read replica is answered at once, as Kafka does: the consumer goes there.
        const redirected = slots.some((s) => s.preferredReadReplica >= 0);
        const done = round.bytes >= req.minBytes || round.error || redirected || waited >= maxWaitMs || rctx.signal.aborted || slots.every((s) => s.log === undefined);
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
 * A partition led elsewhere, fetched by a consumer (v11+): served when this broker is one
 * of its read replicas (a live leader lists it, cluster-view.ts), checking the client's
 * leader epoch against the metadata as the leader would; else NOT_LEADER_OR_FOLLOWER.
 */
async function replicaSlot(ctx: BrokerContext, base: Omit<Slot, 'log' | 'errorCode'>, topic: TopicInfo, currentLeaderEpoch: number, live: readonly RegisteredBroker[]): Promise<Slot> {
  const info = topic.partitions.find((x) => x.partition === base.partition);
  const designated = info !== undefined && readReplicas(topic.topicId, info.partition, info.leader, live).some((r) => r.nodeId === ctx.config.nodeId);
  if (!designated || ctx.replicas === undefined) return { ...base, log: undefined, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch < info.leaderEpoch) return { ...base, log: undefined, errorCode: ErrorCode.FENCED_LEADER_EPOCH };
  if (currentLeaderEpoch > info.leaderEpoch) return { ...base, log: undefined, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
  try {
    const log = await ctx.replicas.replica(topic.topicId, base.partition);
    return { ...base, log, errorCode: ErrorCode.NONE, replica: true, emptyPastEnd: currentLeaderEpoch < 0 };
  } catch {
    // The controller's index cannot be asked: the consumer goes back to the leader.
    return { ...base, log: undefined, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  }
}

/** Asks the committed end of every replica slot (in parallel) before a round reads. */
async function syncReplicas(slots: Slot[]): Promise<void> {
  await Promise.all(
    slots.map(async (s) => {
      if (!s.replica || s.log === undefined) return;
      try {
        await s.log.syncCommittedEnd();
      } catch {
        s.log = undefined;
        s.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
      }
    }),
  );
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
    if (s.log !== undefined && s.preferredReadReplica < 0 && s.fetchOffset < s.log.highWatermark) bytes += Math.max(0, s.partitionMaxBytes);
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
    const base = { partitionIndex: s.partition, preferredReadReplica: s.preferredReadReplica, abortedTransactions: isolationLevel === READ_COMMITTED ? [] : null };
    if (s.log === undefined) {
      error = true;
      results.push({ ...base, errorCode: s.errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: [] });
      continue;
    }
    const remaining = responseMaxBytes - bytes;
    if (remaining <= 0 || s.preferredReadReplica >= 0) {
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
    if (!r.ok && s.emptyPastEnd && s.fetchOffset > r.highWatermark) {
      results.push({ ...base, errorCode: ErrorCode.NONE, highWatermark: r.highWatermark, lastStableOffset: r.highWatermark, logStartOffset: r.logStartOffset, records: [] });
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
    if (s.log === undefined || s.preferredReadReplica >= 0 || reserved >= responseMaxBytes) {
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
    // A replica learns of commits only by asking: poll while the request waits.
    for (const s of slots) if (s.replica && s.log !== undefined) void pollReplica(ctx, s.log, stop.signal);
    await Promise.race([...wakes, ctx.clock.sleep(waitMs, stop.signal).catch(() => undefined)]);
  } finally {
    stop.abort(CANCELLED);
    connection.removeEventListener('abort', onClose);
  }
}

/** Asks a replica's committed end every pollIntervalMs until `signal` aborts (its waitForData then wakes). */
async function pollReplica(ctx: BrokerContext, log: PartitionLog, signal: AbortSignal): Promise<void> {
  const every = ctx.replicas?.pollIntervalMs ?? 250;
  while (!signal.aborted) {
    try {
      await ctx.clock.sleep(every, signal);
      await log.syncCommittedEnd();
    } catch {
      // Aborted, or the controller did not answer: the next round reports it.
      if (signal.aborted) return;
    }
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
