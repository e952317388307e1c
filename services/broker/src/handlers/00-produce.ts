// Produce (key 0): accepts 3–11, advertises 0–11 (librdkafka enables compression only
// when Produce v0 is in the advertised range; versions below 3 carry old message
// formats and are refused by the dispatcher).
//
// Per partition: the topic must exist (auto-created when allowed), the records must pass
// produce/check-batch.ts (one valid v2 batch within max.message.bytes, records that agree
// with their header, timestamps within the topic's bounds, ...), and this broker must
// lead the partition and take appends for it (not while it fenced itself or hands the
// partition over: NOT_LEADER_OR_FOLLOWER, retriable). Idempotent batches are checked against the
// producer's last five (duplicates get their original offsets). Then the batch is
// appended as it is — compressed payloads are never re-encoded — and the answer waits
// for the partition's durability (WAL fsync for `local`, object commit for `object`).
// acks=0 gets no answer at all; if such a request fails, the connection is closed.
//
// The controller unavailable (controller-failure.ts): a partition that is not open yet
// cannot be (its committed end and producer state come from the controller) and answers
// NOT_LEADER_OR_FOLLOWER — the batch took no offset and left no producer state, so the
// producer's retry with the same sequence is judged as a first attempt; a topic that
// cannot be auto-created answers LEADER_NOT_AVAILABLE. Open partitions go on as usual.
//
// With an authorizer: WRITE on each topic (else TOPIC_AUTHORIZATION_FAILED for its
// partitions, whether it exists or not, as Kafka answers); auto-creation also needs
// CREATE on the cluster or the topic (authorize.ts, the table in docs/security.md).
//
// Not implemented: transactions (a transactional id is refused with INVALID_TXN_STATE).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { ProduceRequest, ProduceResponsePartitionProduceResponse, Input } from '@stratus/protocol';
import { currentTracing, SpanKind } from '@stratus/runtime';
import type { Span, Tracing } from '@stratus/runtime';
import { AppendsStoppedError, BatchTooLargeError, BudgetExceededError, PartitionFailedError } from '@stratus/storage';
import type { BrokerContext, OpenPartition } from '../broker-context.ts';
import { CloseConnection, NO_RESPONSE, defineHandler } from '../handler.ts';
import type { HandlerResult, RequestContext } from '../handler.ts';
import { topicSettings } from '../topic-settings.ts';
import { ensureTopics } from '../topics.ts';
import { controllerFailureAnswer } from '../controller-failure.ts';
import { withinTimeout } from '../within-timeout.ts';
import { checkBatch } from '../produce/check-batch.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed, mayCreateTopic } from '../auth/authorize.ts';
import type { CheckedBatch } from '../produce/check-batch.ts';

type PartitionResult = Input<ProduceResponsePartitionProduceResponse>;

function failure(index: number, errorCode: number, errorMessage: string | null): PartitionResult {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage };
}

export function produceHandler(ctx: BrokerContext) {
  // Read once: with tracing off (the default) a request costs one comparison here.
  const tracing = currentTracing();
  return defineHandler({
    apiKey: ApiKey.Produce,
    accept: [3, 11],
    advertise: [0, 11],
    handle: (req, rctx) => (tracing === undefined ? produce(ctx, req, rctx, undefined) : tracedProduce(ctx, req, rctx, tracing)),
  });
}

/** The request's span (SERVER), active while it runs, so a controller call it makes (auto-creating a topic) is its child. */
async function tracedProduce(ctx: BrokerContext, req: ProduceRequest, rctx: RequestContext, tracing: Tracing): Promise<HandlerResult<typeof ApiKey.Produce>> {
  const span = tracing.start('produce', {
    kind: SpanKind.SERVER,
    attributes: {
      'kafka.client_id': rctx.header.clientId ?? '',
      'kafka.connection_id': rctx.connectionId,
      'kafka.correlation_id': rctx.header.correlationId,
      'kafka.api_version': rctx.header.apiVersion,
      'kafka.acks': req.acks,
    },
  });
  try {
    const result = await tracing.run(span, () => produce(ctx, req, rctx, { tracing, span }));
    tracing.end(span);
    return result;
  } catch (e) {
    tracing.end(span, e);
    throw e;
  }
}

/** With tracing on: the request's span, parent of one span per partition batch. */
interface ProduceTrace {
  readonly tracing: Tracing;
  readonly span: Span;
}

async function produce(ctx: BrokerContext, req: ProduceRequest, rctx: RequestContext, traced: ProduceTrace | undefined): Promise<HandlerResult<typeof ApiKey.Produce>> {
  const version = rctx.header.apiVersion;
  let catalog = ctx.catalog();
  let notCreated = new Map<string, number>();
  const denied = ctx.authorizer === undefined ? undefined : new Set(req.topicData.map((t) => t.name).filter((n) => !isAllowed(ctx.authorizer, rctx, AclOperation.WRITE, 'topic', n)));
  if (ctx.config.autoCreateTopics) {
    const missing = req.topicData.map((t) => t.name).filter((n) => catalog.topic(n) === undefined && !denied?.has(n) && mayCreateTopic(ctx.authorizer, rctx, n));
    if (missing.length > 0) {
      notCreated = await ensureTopics(ctx, missing);
      catalog = ctx.catalog();
    }
  }
  // Start every partition's append before awaiting any, in request order: offsets are
  // assigned synchronously, so pipelined requests keep their order per partition.
  const topics = req.topicData.map((t) => {
    if (denied?.has(t.name)) {
      return { name: t.name, partitionResponses: t.partitionData.map((p) => Promise.resolve(failure(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null))) };
    }
    const topic = catalog.topic(t.name);
    return {
      name: t.name,
      partitionResponses: t.partitionData.map((p) => {
        if (traced === undefined) return producePartitionData(ctx, req, version, t.name, topic, p, notCreated, undefined);
        return traceBatch(traced, t.name, p, (batch) => producePartitionData(ctx, req, version, t.name, topic, p, notCreated, batch));
      }),
    };
  });
  const responses = await Promise.all(topics.map(async (t) => ({ name: t.name, partitionResponses: await Promise.all(t.partitionResponses) })));
  if (req.acks === 0) {
    const failed = responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== ErrorCode.NONE));
    return failed ? new CloseConnection('an acks=0 produce request failed') : NO_RESPONSE;
  }
  return { responses, throttleTimeMs: 0 };
}

type PartitionData = ProduceRequest['topicData'][number]['partitionData'][number];

/** One span per partition batch (never per record), from its validation to its answer; a Kafka error marks it failed. */
function traceBatch(traced: ProduceTrace, topicName: string, p: PartitionData, run: (batch: BatchTrace) => Promise<PartitionResult>): Promise<PartitionResult> {
  const { tracing } = traced;
  const span = tracing.start('produce.batch', {
    parent: traced.span,
    attributes: { 'messaging.destination.name': topicName, 'messaging.destination.partition.id': String(p.index), 'messaging.message.body.size': p.records?.length ?? 0 },
  });
  return run({ tracing, span }).then(
    (r) => {
      span.setAttribute('kafka.error_code', r.errorCode);
      if (r.errorCode !== ErrorCode.NONE) tracing.end(span, `error code ${r.errorCode}${r.errorMessage != null ? `: ${r.errorMessage}` : ''}`);
      else {
        span.setAttribute('kafka.base_offset', Number(r.baseOffset));
        tracing.end(span);
      }
      return r;
    },
    (e: unknown) => {
      tracing.end(span, e);
      throw e;
    },
  );
}

/** With tracing on: the batch's span, parent of its validate and append spans. */
interface BatchTrace {
  readonly tracing: Tracing;
  readonly span: Span;
}

function producePartitionData(
  ctx: BrokerContext,
  req: ProduceRequest,
  version: number,
  topicName: string,
  topic: ReturnType<ReturnType<BrokerContext['catalog']>['topic']>,
  p: PartitionData,
  notCreated: ReadonlyMap<string, number>,
  traced: BatchTrace | undefined,
): Promise<PartitionResult> {
  if (req.transactionalId !== null) return Promise.resolve(failure(p.index, ErrorCode.INVALID_TXN_STATE, 'transactions are not supported yet'));
  if (topic === undefined || !topic.partitions.some((x) => x.partition === p.index)) {
    const code = topic === undefined && notCreated.get(topicName) === ErrorCode.LEADER_NOT_AVAILABLE ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return Promise.resolve(failure(p.index, code, null));
  }
  const validate = traced?.tracing.start('produce.validate', { parent: traced.span });
  const checked = checkBatch(p.records, version, topicSettings(topic, ctx.config.messageMaxBytes), {
    maxDecompressedBatchBytes: ctx.config.maxDecompressedBatchBytes,
    nowMs: ctx.clock.nowMs(),
  });
  if (traced !== undefined && validate !== undefined) {
    if (checked.ok) traced.span.setAttributes({ 'messaging.batch.message_count': checked.batch.lastOffsetDelta + 1, 'messaging.message.body.size': checked.bytes.length });
    traced.tracing.end(validate, checked.ok ? undefined : checked.message ?? `error code ${checked.errorCode}`);
  }
  if (!checked.ok) return Promise.resolve(failure(p.index, checked.errorCode, checked.message));
  const open = ctx.partitions.openNow(topic.topicId, p.index);
  if (open !== undefined) return producePartition(ctx, open, p.index, checked, req, traced);
  return ctx.partitions.partition(topic.topicId, p.index).then(
    (o) => (o === undefined ? failure(p.index, ErrorCode.NOT_LEADER_OR_FOLLOWER, null) : producePartition(ctx, o, p.index, checked, req, traced)),
    // The partition could not be opened (the controller is unavailable, or its storage
    // failed): this partition fails, not the request.
    (e: unknown) => {
      const failed = controllerFailureAnswer(e, 'produce');
      return failed !== undefined ? failure(p.index, failed.errorCode, failed.errorMessage) : failure(p.index, ErrorCode.KAFKA_STORAGE_ERROR, e instanceof Error ? e.message : String(e));
    },
  );
}

function producePartition(ctx: BrokerContext, open: OpenPartition, index: number, checked: CheckedBatch & { ok: true }, req: ProduceRequest, traced: BatchTrace | undefined): Promise<PartitionResult> {
  const { batch, bytes } = checked;
  const log = open.log;
  // Self-fenced or handing the partition over: the client refreshes metadata and retries.
  // Checked before the producer state, so a refused batch leaves no trace there.
  if (!log.acceptingAppends) return Promise.resolve(failure(index, ErrorCode.NOT_LEADER_OR_FOLLOWER, log.failed?.message ?? 'this broker takes no appends for the partition now'));
  if (batch.producerId >= 0) {
    const check = open.producers.check(batch.producerId, batch.producerEpoch, batch.baseSequence, batch.lastOffsetDelta);
    if (check.kind === 'error') return Promise.resolve(failure(index, check.errorCode, check.message));
    if (check.kind === 'duplicate') {
      // The original may not be durable yet (an object topic's batch waits for its commit):
      // the retry waits as long as the original's append would, within the request's timeout.
      return (req.timeoutMs > 0 ? withinTimeout(ctx.clock, check.baseOffset, req.timeoutMs) : check.baseOffset).then(
        (baseOffset) =>
          baseOffset === 'timeout'
            ? failure(index, ErrorCode.REQUEST_TIMED_OUT, `the original batch was not durable within ${req.timeoutMs} ms`)
            : { index, errorCode: ErrorCode.NONE, baseOffset, logAppendTimeMs: -1, logStartOffset: log.logStartOffset, recordErrors: [], errorMessage: null },
        () => failure(index, ErrorCode.KAFKA_STORAGE_ERROR, 'the original batch failed'),
      );
    }
  }
  const appended = traced === undefined ? log.append(bytes, { lastOffsetDelta: batch.lastOffsetDelta, maxTimestamp: batch.maxTimestamp }) : tracedAppend(traced, log, bytes, batch);
  if (batch.producerId >= 0) {
    open.producers.record(
      batch.producerId,
      batch.producerEpoch,
      batch.baseSequence,
      batch.lastOffsetDelta,
      appended.then((r) => r.baseOffset),
    );
  }
  // Produce's timeout 0 means no deadline (Kafka waits for acks=all regardless).
  return (req.timeoutMs > 0 ? withinTimeout(ctx.clock, appended, req.timeoutMs) : appended).then(
    (r): PartitionResult =>
      r === 'timeout'
        ? failure(index, ErrorCode.REQUEST_TIMED_OUT, `not durable within ${req.timeoutMs} ms`)
        : { index, errorCode: ErrorCode.NONE, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs, logStartOffset: r.logStartOffset, recordErrors: [], errorMessage: null },
    (e: unknown) => {
      if (e instanceof BudgetExceededError) return failure(index, ErrorCode.REQUEST_TIMED_OUT, e.message);
      if (e instanceof BatchTooLargeError) return failure(index, ErrorCode.MESSAGE_TOO_LARGE, e.message);
      if (e instanceof PartitionFailedError || e instanceof AppendsStoppedError) return failure(index, ErrorCode.NOT_LEADER_OR_FOLLOWER, e.message);
      return failure(index, ErrorCode.KAFKA_STORAGE_ERROR, e instanceof Error ? e.message : String(e));
    },
  );
}

/** The append as a span: from the WAL write (offsets assigned) until durable — the WAL's fsync, or the object's commit for an object topic. */
function tracedAppend(traced: BatchTrace, log: OpenPartition['log'], bytes: Buffer, batch: (CheckedBatch & { ok: true })['batch']): ReturnType<OpenPartition['log']['append']> {
  const { tracing } = traced;
  const span = tracing.start('produce.append', { parent: traced.span });
  const appended = log.append(bytes, { lastOffsetDelta: batch.lastOffsetDelta, maxTimestamp: batch.maxTimestamp });
  appended.then(
    () => tracing.end(span),
    (e: unknown) => tracing.end(span, e),
  );
  return appended;
}
