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
// UNSUPPORTED_VERSION, answering a batch with another error code than the case names,
// staying silent, not closing after our FIN, not closing a slow sender within its timeout
// (or closing it before).
//
// Slow senders hold their connection for seconds, so they do not hold up a worker: each
// runs on a connection of its own beside the workers (at most maxSlowConnections at once),
// and one is not started when the run would likely end before it could (it is counted as
// skipped). The run waits for those running at the end.

import { ApiKey, decodeRequestBodyPrefix, decodeRequestHeader, ErrorCode, errorName } from '@stratus/protocol';
import { CATEGORIES, CORRELATION_LIMIT, describeExpectation, generateCase, mustBeAnswered } from './generator.ts';
import type { Category, FuzzCase, FuzzContext, TimeoutClose, Trickle } from './generator.ts';
import { judgeResponse, producePartitionErrorCode, requestHeaderOf, sentinelRequest, WireConnection } from './wire.ts';
import type { RequestHeaderView } from './wire.ts';

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
  /** Slow senders running at once, beside the workers' connections. Default 24. */
  readonly maxSlowConnections?: number;
}

export class FuzzStats {
  readonly byCategory = new Map<Category, Record<Outcome, number>>();
  readonly written = new Map<Category, number>();
  readonly variants = new Map<string, Record<Outcome, number>>();
  readonly anomalies: Anomaly[] = [];
  /** Error codes seen in answers, by name. */
  readonly errorCodes = new Map<string, number>();
  /** How long after its timeout each slow sender's connection was closed, by variant (ms). */
  readonly closeLatenciesMs = new Map<string, number[]>();
  /** Partition error codes of answered batch cases, by category/variant. */
  readonly partitionCodes = new Map<string, Map<string, number>>();
  /** Slow senders not started: too many running, or the run about to end. */
  slowSkipped = 0;
  /** How long the run waited for slow senders after the last other case (ms). */
  slowTailMs = 0;
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

/** Whether the case runs on a connection of its own, for seconds (a slow sender). */
export function isSlow(c: FuzzCase): boolean {
  return typeof c.delivery === 'object';
}

/** How long a slow sender usually takes: its timeout and a sweep of the broker's, or its trickle. */
function slowCaseMs(c: FuzzCase, sweepMs: number): number {
  if (typeof c.expect === 'object' && c.expect.kind === 'timeout-close') return c.expect.afterMs + sweepMs;
  const d = c.delivery as Trickle;
  return Math.ceil(c.bytes.length / Math.max(1, d.pieceBytes)) * d.gapMs + 500;
}

/** Sentinel correlation id of slow senders' trickled requests (each has a connection of its own). */
const SLOW_SENTINEL_ID = 0x7ffffff0;

export async function runFuzz(o: RunnerOptions, stats: FuzzStats): Promise<void> {
  let nextIndex = 0;
  const started = Date.now();
  const stopAt = started + o.deadlineMs;
  const done = (): boolean => stats.framesWritten >= o.frames || Date.now() >= stopAt || (o.abort?.() ?? false);
  if (o.connections > 1024) throw new RangeError('at most 1024 fuzz connections (sentinel correlation ids)');
  const slow = new Set<Promise<void>>();
  const maxSlow = o.maxSlowConnections ?? 24;
  /** When the run will likely end, from its pace so far. */
  const projectedEnd = (): number => {
    const now = Date.now();
    if (stats.framesWritten < 1_000) return stopAt;
    return Math.min(stopAt, now + ((now - started) * (o.frames - stats.framesWritten)) / stats.framesWritten);
  };
  const startSlow = (c: FuzzCase): void => {
    if (slow.size >= maxSlow || Date.now() + slowCaseMs(c, o.context.limits.timeouts.sweepMs) > projectedEnd()) {
      stats.slowSkipped++;
      return;
    }
    const run = (async () => {
      let conn: WireConnection;
      try {
        conn = await WireConnection.connect(o.host, o.port);
        stats.connectionsOpened++;
      } catch {
        stats.connectFailures++;
        return;
      }
      try {
        await runCase(conn, c, SLOW_SENTINEL_ID, o.stallTimeoutMs, stats);
      } finally {
        conn.destroy();
      }
    })();
    const tracked = run.finally(() => slow.delete(tracked));
    slow.add(tracked);
  };
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
      if (isSlow(c)) {
        startSlow(c);
        continue;
      }
      const keep = await runCase(conn, c, sentinelBase + (sent++ % 0x100000), o.stallTimeoutMs, stats);
      if (!keep) {
        conn.destroy();
        conn = undefined;
      }
    }
    conn?.destroy();
  };
  await Promise.all(Array.from({ length: o.connections }, (_, w) => worker(w)));
  const tail = performance.now();
  while (slow.size > 0) await Promise.all([...slow]);
  stats.slowTailMs = Math.round(performance.now() - tail);
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
  if (typeof c.expect === 'object' && c.expect.kind === 'timeout-close') {
    await runSlowToClose(conn, c, c.expect, stats);
    return false;
  }
  if (typeof c.delivery === 'object') {
    // Trickled whole, then judged like 'await'.
    if (c.delivery.kind !== 'trickle' || c.delivery.stopAfterBytes !== undefined) throw new Error(`case #${c.index}: ${c.delivery.kind} delivery needs a timeout-close expectation`);
    if (header?.correlationId === sentinelId) sentinelId ^= 0x1;
    let prefixAtMs: number | undefined;
    const ok = await trickle(conn, c.bytes, c.delivery, c.bytes.length, () => count(stats, c), (sentAfter) => {
      if (sentAfter >= 4) prefixAtMs ??= performance.now();
    });
    if (!ok) {
      if (conn.closed) {
        // Closed while the bytes were still arriving. Wrong if it came before the receive
        // timeout could have fired; after it, our side was too slow to keep the pace.
        stats.record(c, 'closed');
        const closedAfterMs = prefixAtMs === undefined ? 0 : (conn.closedAtMs ?? performance.now()) - prefixAtMs;
        const timeoutMs = c.delivery.receiveTimeoutMs ?? 0;
        if (mustBeAnswered(c.expect) && closedAfterMs < timeoutMs - 200) {
          stats.anomaly(c, `closed the connection ${Math.round(closedAfterMs)} ms into a valid request trickling in, before the receive timeout (${timeoutMs} ms)`);
        }
      } else stats.writeFailures++;
      return false;
    }
    if (!(await conn.write(sentinelRequest(sentinelId)))) {
      stats.writeFailures++;
      return false;
    }
    return judgeAnswers(conn, c, header, sentinelId, stallTimeoutMs, stats);
  }
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
  return judgeAnswers(conn, c, header, sentinelId, stallTimeoutMs, stats);
}

/** After the case's bytes and the sentinel went out: its answer (or none, or the close), then the sentinel's. */
async function judgeAnswers(conn: WireConnection, c: FuzzCase, header: RequestHeaderView | undefined, sentinelId: number, stallTimeoutMs: number, stats: FuzzStats): Promise<boolean> {
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
    else if (mustBeAnswered(c.expect)) stats.anomaly(c, `the broker closed the connection instead of answering (${describeExpectation(c.expect)})`);
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
  if (typeof c.expect === 'object' && c.expect.kind === 'partition-error' && judged.kind !== 'undecodable') {
    const code = producePartitionErrorCode(header.apiVersion, first.frame);
    const key = `${c.category}/${c.variant}`;
    let codes = stats.partitionCodes.get(key);
    if (codes === undefined) stats.partitionCodes.set(key, (codes = new Map()));
    const name = code === undefined ? 'no partition' : errorName(code);
    codes.set(name, (codes.get(name) ?? 0) + 1);
    if (code === undefined) stats.anomaly(c, 'the Produce answer has no partition');
    else if (!c.expect.codes.includes(code)) stats.anomaly(c, `the partition was answered with ${errorName(code)}, not ${c.expect.codes.map(errorName).join(' or ')}`);
  }

  const second = await conn.next(stallTimeoutMs);
  if (second.kind === 'frame') return checkSentinel(second.frame, sentinelId, c, stats);
  stats.anomaly(c, second.kind === 'closed' ? 'closed the connection after answering, before the (valid) sentinel' : 'the sentinel was not answered');
  return false;
}

/**
 * Writes `bytes` up to `limit`, `pieceBytes` at a time with `gapMs` pauses, stopping early
 * if the broker closes (or `stop` says so). `onFirst` runs once the first piece is out.
 * True when all went out.
 */
async function trickle(conn: WireConnection, bytes: Buffer, d: Trickle, limit: number, onFirst: () => void, beforePiece?: (sentAfter: number) => void, stop?: () => boolean): Promise<boolean> {
  let sent = 0;
  while (sent < limit) {
    if (conn.closed || stop?.() === true) return false;
    const n = Math.min(Math.max(1, d.pieceBytes), limit - sent);
    // Told before the write: a time taken then is no later than the bytes reaching the broker.
    beforePiece?.(sent + n);
    if (!(await conn.write(bytes.subarray(sent, sent + n)))) return false;
    if (sent === 0) onFirst();
    sent += n;
    if (sent < limit && d.gapMs > 0) await conn.closedWithin(d.gapMs);
  }
  return true;
}

/** How often a client that stopped reading writes a small request, to learn that the broker closed it. */
const NO_READ_PROBE_MS = 200;

/**
 * A slow sender the broker must close: sends as the delivery says, then waits for the
 * close. It must come after the timeout (counted from when it can start: the size prefix
 * for the receive timeout, the connect for the idle one, the requests written for the
 * stall one) and within `withinMs`; no answer to an unfinished request may come.
 */
async function runSlowToClose(conn: WireConnection, c: FuzzCase, expect: TimeoutClose, stats: FuzzStats): Promise<void> {
  const d = c.delivery;
  if (typeof d !== 'object') throw new Error(`case #${c.index}: a timeout-close case needs a trickle or no-read delivery`);
  // Each reference time is taken before what starts the broker's timer can have happened
  // (the connect called, the bytes written), so a late event loop here can only make the
  // broker look later, never early.
  let fromMs: number | undefined = expect.timeout === 'idle' ? conn.connectStartedAtMs : undefined;
  let answered = 0;
  if (d.kind === 'no-read') {
    conn.pauseReading();
    fromMs = performance.now();
    conn.writeAndForget(c.bytes);
    count(stats, c);
  } else {
    const limit = d.stopAfterBytes ?? c.bytes.length;
    await trickle(
      conn,
      c.bytes,
      d,
      limit,
      () => count(stats, c),
      (sentAfter) => {
        if (expect.timeout === 'receive' && sentAfter >= 4) fromMs ??= performance.now();
      },
      // A broker that does not close in time would otherwise be trickled to for as long as the bytes last.
      () => fromMs !== undefined && performance.now() >= fromMs + expect.withinMs,
    );
  }
  fromMs ??= performance.now();
  const deadline = fromMs + expect.withinMs;
  let probes = 0;
  while (!conn.closed && performance.now() < deadline) {
    if (d.kind === 'no-read') {
      await new Promise((r) => setTimeout(r, NO_READ_PROBE_MS));
      conn.writeAndForget(sentinelRequest(SLOW_SENTINEL_ID - 1 - (probes++ % 1000)));
    } else {
      const e = await conn.next(deadline - performance.now());
      if (e.kind === 'frame') answered++;
    }
  }
  if (answered > 0) stats.anomaly(c, `answered ${answered} frame(s) to a request that never arrived whole`);
  if (!conn.closed) {
    stats.record(c, 'stalled');
    stats.anomaly(c, `a slow sender was not closed within ${expect.withinMs} ms of when its ${expect.timeout} timeout (${expect.afterMs} ms) began`);
    return;
  }
  stats.record(c, 'closed');
  const afterMs = (conn.closedAtMs ?? performance.now()) - fromMs;
  // A little early is the two processes' timers; well before the timeout is another reason to close.
  if (afterMs < expect.afterMs - 200) stats.anomaly(c, `a slow sender was closed ${Math.round(afterMs)} ms after its ${expect.timeout} timeout began, before the timeout (${expect.afterMs} ms)`);
  const key = `${c.variant.split(':')[0]} (${expect.timeout})`;
  let l = stats.closeLatenciesMs.get(key);
  if (l === undefined) stats.closeLatenciesMs.set(key, (l = []));
  l.push(Math.round(afterMs));
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
