// Kafka's client quotas on the broker (ClientQuotaManager and KafkaApis' use of it), over
// the quotas the controller pushes with the metadata: per request, never per record.
//
// - Produce: the request's size is recorded against producer_byte_rate; with acks ≠ 0 its
//   time against request_percentage too. The larger throttle is the answer's.
// - Fetch from a consumer: the answer's size against consumer_byte_rate, its time against
//   request_percentage. Throttled, the answer carries no data (the size is taken back),
//   as Kafka's getThrottledResponse: the client fetches the same offsets again later.
// - Every other request (SASL's excepted): its time against request_percentage.
//
// Time is the broker's own work on the request — decoding, the handler's synchronous part
// and encoding — as a percentage of one thread (Kafka: network and I/O thread time); time
// a handler spends waiting (a long poll, the object store) is not the client's use of the
// broker. Throttled (KIP-219): the answer goes out at once with throttle_time_ms, and the
// connection then reads nothing more from the client for that long (network/connection.ts),
// so a client that ignores throttle_time_ms is held back all the same.
//
// Nothing happens, and nothing is paid, while no quota is stored.

import { ApiKey } from '@stratus/protocol';
import type { ParsedRequestHeader } from '@stratus/protocol';
import type { ClientQuotaEntry } from '@stratus/controller';
import { QuotaKey } from '@stratus/controller';
import type { ConnectionSession } from '../auth/principal.ts';
import { NO_RESPONSE } from '../handler.ts';
import { QuotaPrecedence } from './quota-precedence.ts';
import type { ResolvedQuota } from './quota-precedence.ts';
import { QuotaSensors } from './quota-sensors.ts';
import type { QuotaSensor, QuotaSensorSettings } from './quota-sensors.ts';

/** Kafka's defaults: quota.window.num 11, quota.window.size.seconds 1, sensors expire after an hour idle. */
export const DEFAULT_QUOTA_SETTINGS: QuotaSensorSettings = { samples: 11, windowMs: 1000, maxSensors: 10_000, idleExpiryMs: 3_600_000 };

export type QuotaType = 'produce' | 'fetch' | 'request';

/** What the dispatcher tells about a handled request. */
export interface QuotaCharge {
  readonly header: ParsedRequestHeader;
  readonly session: ConnectionSession | undefined;
  readonly request: unknown;
  /** The handler's answer (an object, or NO_RESPONSE). */
  readonly answer: unknown;
  /** The request frame's size. */
  readonly requestBytes: number;
  /** The encoded answer's size (Fetch only: its quota counts what is sent). */
  readonly responseBytes: number;
  /** The broker's own time on the request so far, ms. */
  readonly threadMs: number;
}

/** Per-entity numbers for the metrics. */
export interface QuotaEntityStats {
  readonly type: QuotaType;
  readonly user: string;
  readonly clientId: string;
  readonly bound: number;
  /** Bytes/s (produce, fetch) or percent of a thread (request), now. */
  readonly rate: number;
  readonly throttleMsTotal: number;
  readonly throttledResponses: number;
}

/** SASL exchanges come before the principal is known: Kafka does not count them. */
const EXEMPT: ReadonlySet<number> = new Set([ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export class ClientQuotas {
  private readonly source: () => readonly ClientQuotaEntry[] | undefined;
  private readonly now: () => number;
  private readonly sensors: Readonly<Record<QuotaType, QuotaSensors>>;
  private builtFrom: readonly ClientQuotaEntry[] | undefined;
  private produce = new QuotaPrecedence([], QuotaKey.PRODUCER_BYTE_RATE);
  private fetch = new QuotaPrecedence([], QuotaKey.CONSUMER_BYTE_RATE);
  private request = new QuotaPrecedence([], QuotaKey.REQUEST_PERCENTAGE);

  /** `source`: the quotas of the latest metadata; `now`: wall-clock ms. */
  constructor(source: () => readonly ClientQuotaEntry[] | undefined, now: () => number, settings: QuotaSensorSettings = DEFAULT_QUOTA_SETTINGS) {
    this.source = source;
    this.now = now;
    this.sensors = { produce: new QuotaSensors(settings), fetch: new QuotaSensors(settings), request: new QuotaSensors(settings) };
  }

  /** Whether any quota is stored (the dispatcher asks nothing more otherwise). */
  active(): boolean {
    this.refresh();
    return !(this.produce.empty && this.fetch.empty && this.request.empty);
  }

  /**
   * Records the request against the quotas that apply and answers the throttle time, with
   * the answer to send: the same one with throttle_time_ms raised to it, or for a throttled
   * Fetch an answer without data.
   */
  charge(c: QuotaCharge): { answer: unknown; throttleMs: number } {
    const apiKey = c.header.apiKey;
    if (EXEMPT.has(apiKey)) return { answer: c.answer, throttleMs: 0 };
    this.refresh();
    const now = this.now();
    const user = c.session?.principal.name ?? 'ANONYMOUS';
    const clientId = c.header.clientId ?? '';
    if (apiKey === ApiKey.Produce) {
      const produce = this.produce.resolve(user, clientId);
      const bandwidthMs = produce === undefined ? 0 : this.sensors.produce.record(produce, c.requestBytes, now);
      const acks = (c.request as { acks?: number }).acks;
      const request = acks === 0 ? undefined : this.request.resolve(user, clientId);
      const requestMs = request === undefined ? 0 : this.sensors.request.record(request, percentOfThread(c.threadMs), now);
      return this.answer(c.answer, bandwidthMs > requestMs ? ['produce', produce, bandwidthMs] : ['request', request, requestMs], now);
    }
    if (apiKey === ApiKey.Fetch && !fromFollower(c.request)) {
      const request = this.request.resolve(user, clientId);
      const requestMs = request === undefined ? 0 : this.sensors.request.record(request, percentOfThread(c.threadMs), now);
      const fetch = this.fetch.resolve(user, clientId);
      const bandwidthMs = fetch === undefined ? 0 : this.sensors.fetch.record(fetch, c.responseBytes, now);
      const throttleMs = Math.max(bandwidthMs, requestMs);
      if (throttleMs === 0) return { answer: c.answer, throttleMs: 0 };
      if (fetch !== undefined) this.sensors.fetch.unrecord(fetch, c.responseBytes, now);
      if (bandwidthMs > requestMs) this.sensors.fetch.throttled(fetch!, bandwidthMs, now);
      else this.sensors.request.throttled(request!, requestMs, now);
      return { answer: { throttleTimeMs: throttleMs, errorCode: 0, sessionId: 0, responses: [] }, throttleMs };
    }
    const request = this.request.resolve(user, clientId);
    const requestMs = request === undefined ? 0 : this.sensors.request.record(request, percentOfThread(c.threadMs), now);
    return this.answer(c.answer, ['request', request, requestMs], now);
  }

  /**
   * The most response bytes a consumer can be sent at once without certain throttling
   * (Kafka caps a fetch's max bytes by it); undefined without a fetch quota for it.
   */
  maxFetchBytes(session: ConnectionSession | undefined, clientId: string | null): number | undefined {
    if (!this.active()) return undefined;
    const q = this.fetch.resolve(session?.principal.name ?? 'ANONYMOUS', clientId ?? '');
    return q === undefined ? undefined : Math.max(1, Math.floor(this.sensors.fetch.maxValueInWindow(q.bound)));
  }

  /** Every live sensor's numbers (metrics, at scrape time). */
  *stats(): Generator<QuotaEntityStats> {
    const now = this.now();
    for (const type of ['produce', 'fetch', 'request'] as const) {
      for (const s of this.sensors[type].all()) yield statsOf(type, s, now);
    }
  }

  private answer(answer: unknown, [type, quota, throttleMs]: [QuotaType, ResolvedQuota | undefined, number], now: number): { answer: unknown; throttleMs: number } {
    if (throttleMs <= 0 || quota === undefined) return { answer, throttleMs: 0 };
    this.sensors[type].throttled(quota, throttleMs, now);
    if (answer === NO_RESPONSE || typeof answer !== 'object' || answer === null) return { answer, throttleMs };
    const own = (answer as { throttleTimeMs?: number }).throttleTimeMs ?? 0;
    return { answer: { ...answer, throttleTimeMs: Math.max(own, throttleMs) }, throttleMs };
  }

  /** The quotas of the latest metadata (indexes rebuilt only when its list changes: a new array). */
  private refresh(): void {
    const entries = this.source();
    if (entries !== this.builtFrom) this.rebuild(entries);
  }

  private rebuild(entries: readonly ClientQuotaEntry[] | undefined): void {
    this.builtFrom = entries;
    const all = entries ?? [];
    this.produce = new QuotaPrecedence(all, QuotaKey.PRODUCER_BYTE_RATE);
    this.fetch = new QuotaPrecedence(all, QuotaKey.CONSUMER_BYTE_RATE);
    this.request = new QuotaPrecedence(all, QuotaKey.REQUEST_PERCENTAGE);
  }
}

/** Kafka counts request time as a percentage of one thread: ms × 100 / 1000 per second of window. */
function percentOfThread(ms: number): number {
  return ms / 10;
}

function fromFollower(request: unknown): boolean {
  const r = request as { replicaId?: number; replicaState?: { replicaId?: number } };
  return (r.replicaState?.replicaId ?? -1) >= 0 || (r.replicaId ?? -1) >= 0;
}

function statsOf(type: QuotaType, s: QuotaSensor, now: number): QuotaEntityStats {
  return { type, user: s.user, clientId: s.clientId, bound: s.bound, rate: s.rate.measure(now), throttleMsTotal: s.throttleMsTotal, throttledResponses: s.throttledResponses };
}
