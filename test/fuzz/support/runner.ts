// Drives fuzz cases over many concurrent connections. Each worker owns one connection
// at a time and sends one case at a time: the case's bytes, then (for 'await' cases) a
// valid ApiVersions request as a sentinel. Responses come back in request order, so the
// first frame is either the case's answer or — when the case gets no answer, which only
// acks=0 Produce may do — the sentinel's. A close before any answer means the broker
// closed the connection on the case. Whenever the broker closes a connection the worker
// opens a new one.
//
// Anything a broker must never do is recorded as an anomaly with the case's index and
// bytes: answering with the wrong correlation id or out of schema, answering a bad size
// prefix, closing on a valid request it serves, answering an unknown version without
// UNSUPPORTED_VERSION, staying silent, not closing after our FIN.

import { ApiKey, decodeRequestBodyPrefix, decodeRequestHeader, ErrorCode, errorName } from '@stratus/protocol';
import { CATEGORIES, CORRELATION_LIMIT, generateCase } from './generator.ts';
import type { Category, FuzzCase, FuzzContext } from './generator.ts';
import { judgeResponse, requestHeaderOf, sentinelRequest, WireConnection } from './wire.ts';

export const OUTCOMES = ['answered-ok', 'answered-error', 'closed', 'no-response', 'stalled'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Anomaly {
  readonly index: number;
  readonly category: Category;
  readonly variant: string;
  readonly problem: string;
  /** The case's bytes (hex, first 2 KiB). */
  readonly hex: string;
  readonly length: number;
}

export interface RunnerOptions {
  readonly seed: number;
  readonly host: string;
  readonly port: number;
  readonly context: FuzzContext;
  /** Stop once this many cases have been written. */
  readonly frames: number;
  readonly connections: number;
  /** How long a case may go unanswered before the worker gives up on the connection. */
  readonly stallTimeoutMs: number;
  /** Hard stop: whatever has been written by then is the result. */
  readonly deadlineMs: number;
  /** Stops early when this says so (the broker died: no point reconnecting until the deadline). */
  readonly abort?: () => boolean;
}

export class FuzzStats {
  readonly byCategory = new Map<Category, Record<Outcome, number>>();
  readonly written = new Map<Category, number>();
  readonly variants = new Map<string, Record<Outcome, number>>();
  readonly anomalies: Anomaly[] = [];
  /** Error codes seen in answers, by name. */
  readonly errorCodes = new Map<string, number>();
  framesWritten = 0;
  bytesWritten = 0;
  connectionsOpened = 0;
  connectFailures = 0;
  writeFailures = 0;

  constructor() {
    for (const c of CATEGORIES) {
      this.byCategory.set(c, Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>);
      this.written.set(c, 0);
    }
  }

  record(c: FuzzCase, outcome: Outcome): void {
    this.byCategory.get(c.category)![outcome]++;
    const key = `${c.category}/${c.variant}`;
    let v = this.variants.get(key);
    if (v === undefined) this.variants.set(key, (v = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>));
    v[outcome]++;
  }

  anomaly(c: FuzzCase, problem: string): void {
    if (this.anomalies.length >= 200) return;
    this.anomalies.push({ index: c.index, category: c.category, variant: c.variant, problem, hex: c.bytes.subarray(0, 2048).toString('hex'), length: c.bytes.length });
  }
}

export async function runFuzz(o: RunnerOptions, stats: FuzzStats): Promise<void> {
  let nextIndex = 0;
  const stopAt = Date.now() + o.deadlineMs;
  const done = (): boolean => stats.framesWritten >= o.frames || Date.now() >= stopAt || (o.abort?.() ?? false);
  if (o.connections > 1024) throw new RangeError('at most 1024 fuzz connections (sentinel correlation ids)');
  const worker = async (w: number): Promise<void> => {
    let conn: WireConnection | undefined;
    // Each worker's sentinels have correlation ids of their own, above every generated one.
    const sentinelBase = CORRELATION_LIMIT + w * 0x100000;
    let sent = 0;
    while (!done()) {
      if (conn === undefined || conn.closed) {
        try {
          conn = await WireConnection.connect(o.host, o.port);
          stats.connectionsOpened++;
        } catch {
          stats.connectFailures++;
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
      }
      const c = generateCase(o.seed, nextIndex++, o.context);
      const keep = await runCase(conn, c, sentinelBase + (sent++ % 0x100000), o.stallTimeoutMs, stats);
      if (!keep) {
        conn.destroy();
        conn = undefined;
      }
    }
    conn?.destroy();
  };
  await Promise.all(Array.from({ length: o.connections }, (_, w) => worker(w)));
}

/** Whether the frame is a Produce request with acks=0 (the one request that gets no answer). */
function isAcks0Produce(bytes: Buffer): boolean {
  const frame = bytes.subarray(4);
  const h = decodeRequestHeader(frame);
  if (!h.ok || h.value.header.apiKey !== ApiKey.Produce) return false;
  // The broker ignores bytes after the body (as Kafka does), so a padded acks=0 produce gets no answer either.
  const body = decodeRequestBodyPrefix(ApiKey.Produce, h.value.header.apiVersion, frame, h.value.bodyOffset);
  return body.ok && body.value.body.acks === 0;
}

/** Runs one case on `conn`, records its outcome; false when the connection is finished with. */
export async function runCase(conn: WireConnection, c: FuzzCase, sentinelId: number, stallTimeoutMs: number, stats: FuzzStats): Promise<boolean> {
  const header = requestHeaderOf(c.bytes);
  if (c.delivery !== 'await') {
    const ok = await conn.write(c.bytes);
    if (!ok) {
      stats.writeFailures++;
      return false;
    }
    count(stats, c);
    if (c.delivery === 'reset') {
      conn.reset();
      stats.record(c, 'closed');
      return false;
    }
    conn.end();
    // After our FIN the broker closes (Kafka drops a half-closed client); answers to
    // whole frames that arrived before it are allowed but not required.
    for (;;) {
      const e = await conn.next(stallTimeoutMs);
      if (e.kind === 'frame') continue;
      if (e.kind === 'timeout') {
        stats.anomaly(c, `the broker did not close the connection within ${stallTimeoutMs} ms of our FIN`);
        stats.record(c, 'stalled');
      } else stats.record(c, 'closed');
      return false;
    }
  }

  if (header?.correlationId === sentinelId) sentinelId ^= 0x1;
  const ok = await conn.write(Buffer.concat([c.bytes, sentinelRequest(sentinelId)]));
  if (!ok) {
    stats.writeFailures++;
    return false;
  }
  count(stats, c);

  const first = await conn.next(stallTimeoutMs);
  if (first.kind === 'timeout') {
    stats.record(c, 'stalled');
    // A valid request may legitimately wait (a JoinGroup for other members); a bad one may not.
    if (c.expect === 'close' || c.expect === 'unsupported') stats.anomaly(c, `no answer and no close within ${stallTimeoutMs} ms`);
    return false;
  }
  if (first.kind === 'closed') {
    if (conn.protocolError !== undefined) stats.anomaly(c, `broker sent a bad frame: ${conn.protocolError}`);
    stats.record(c, 'closed');
    if (c.expect === 'answer') stats.anomaly(c, 'the broker closed the connection on a valid request it serves');
    if (c.expect === 'unsupported' && header?.apiKey === ApiKey.ApiVersions) stats.anomaly(c, 'ApiVersions with an unsupported version must be answered, not closed');
    return false;
  }
  const correlationId = first.frame.length >= 4 ? first.frame.readInt32BE(0) : undefined;
  if (correlationId === sentinelId) {
    stats.record(c, 'no-response');
    if (!isAcks0Produce(c.bytes)) stats.anomaly(c, 'no answer to a request that is not Produce with acks=0');
    if (c.expect === 'close') stats.anomaly(c, 'the broker kept the connection open after a frame it must reject');
    return checkSentinel(first.frame, sentinelId, c, stats);
  }

  // The case's answer.
  if (header === undefined) {
    stats.anomaly(c, 'answer to a frame too short to hold a request header');
    stats.record(c, 'answered-error');
    return false;
  }
  if (correlationId !== header.correlationId) stats.anomaly(c, `answer carries correlation id ${correlationId}, the request had ${header.correlationId}`);
  const judged = judgeResponse(header.apiKey, header.apiVersion, first.frame);
  if (judged.kind === 'undecodable') {
    stats.anomaly(c, `answer does not decode as API ${header.apiKey} v${header.apiVersion}: ${judged.reason}`);
    stats.record(c, 'answered-error');
  } else if (judged.kind === 'error') {
    stats.record(c, 'answered-error');
    for (const code of new Set(judged.errorCodes)) {
      const name = errorName(code);
      stats.errorCodes.set(name, (stats.errorCodes.get(name) ?? 0) + 1);
    }
  } else stats.record(c, 'answered-ok');
  if (c.expect === 'close') stats.anomaly(c, 'answered a frame it must reject by closing');
  if (c.expect === 'unsupported' && !(judged.kind === 'error' && judged.topLevelErrorCode === ErrorCode.UNSUPPORTED_VERSION)) {
    stats.anomaly(c, `answered an unsupported version without UNSUPPORTED_VERSION (${judged.kind})`);
  }

  const second = await conn.next(stallTimeoutMs);
  if (second.kind === 'frame') return checkSentinel(second.frame, sentinelId, c, stats);
  stats.anomaly(c, second.kind === 'closed' ? 'closed the connection after answering, before the (valid) sentinel' : 'the sentinel was not answered');
  return false;
}

function checkSentinel(frame: Buffer, sentinelId: number, c: FuzzCase, stats: FuzzStats): boolean {
  const judged = judgeResponse(ApiKey.ApiVersions, 2, frame);
  if (frame.readInt32BE(0) !== sentinelId || judged.kind !== 'ok') {
    stats.anomaly(c, `the sentinel's answer is wrong (correlation id ${frame.readInt32BE(0)}, expected ${sentinelId}; ${judged.kind})`);
    return false;
  }
  return true;
}

function count(stats: FuzzStats, c: FuzzCase): void {
  stats.framesWritten++;
  stats.bytesWritten += c.bytes.length;
  stats.written.set(c.category, stats.written.get(c.category)! + 1);
}
