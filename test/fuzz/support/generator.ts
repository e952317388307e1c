// The fuzz cases. generateCase(seed, index, ctx) is a pure function: the same seed,
// index and context always give the same bytes, so a failure names the one case to
// replay (see replay.ts). Each case is one category from the brief — bad size
// prefixes, truncated frames, unknown API keys and versions, valid requests of every
// API, byte-level mutations of valid requests, corrupt record batches inside Produce,
// absurd length prefixes, random garbage — plus how to deliver it and what the broker
// is required to do with it.
//
// Issue 9's cases come on top (batch-cases.ts, and slowSenderCase below): batches around
// the size limits and the decompression cap, batches whose records lie to their header,
// timestamps out of bounds — each answered with the one error code for its partition —
// and slow senders, which the broker must close within its timeouts. They are chosen by a
// draw of their own before the original categories', so a seed's cases of the original
// categories are the bytes they were before these were added.

import { apiSpecs, decodeRequestBodyPrefix, decodeRequestHeader, encodeRequest, ErrorCode, errorName, inRange, ApiKey } from '@stratus/protocol';
import type { ApiKeyNumber, FieldSpec, MessageSpec, TypeSpec } from '@stratus/protocol';
import { badTimestampBatch, lyingBatch, oversizedBatch } from './batch-cases.ts';
import type { BatchCase, BatchLimits } from './batch-cases.ts';
import { corruptBatch } from './record-batches.ts';
import { Rng } from './rng.ts';
import { randomText, ValueGenerator } from './schema-values.ts';
import type { Pools } from './schema-values.ts';

export const CATEGORIES = [
  'size-prefix',
  'truncated',
  'unknown-api',
  'valid',
  'mutated',
  'corrupt-batch',
  'absurd-count',
  'garbage',
  'oversized',
  'lying-batch',
  'bad-timestamp',
  'slow-sender',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** The original categories, drawn (by these relative weights) when the first draw picks none of NEW_WEIGHTS. */
const WEIGHTS: readonly (readonly [Category, number])[] = [
  ['size-prefix', 5],
  ['truncated', 7],
  ['unknown-api', 10],
  ['valid', 25],
  ['mutated', 23],
  ['corrupt-batch', 12],
  ['absurd-count', 9],
  ['garbage', 9],
];

/**
 * Issue 9's categories, in percent of all cases. Slow senders are few: each holds a
 * connection for seconds (the runner runs them beside the others), and a hundred or so
 * per run is plenty to see every variant closed in time.
 */
const NEW_WEIGHTS: readonly (readonly [Category, number])[] = [
  ['oversized', 2.5],
  ['lying-batch', 4],
  ['bad-timestamp', 2.5],
  ['slow-sender', 0.12],
];

/** The share of each category among all cases (for tests and reports). */
export function categoryShares(): ReadonlyMap<Category, number> {
  const fresh = NEW_WEIGHTS.reduce((n, [, w]) => n + w, 0) / 100;
  const old = WEIGHTS.reduce((n, [, w]) => n + w, 0);
  return new Map([...NEW_WEIGHTS.map(([c, w]) => [c, w / 100] as const), ...WEIGHTS.map(([c, w]) => [c, ((1 - fresh) * w) / old] as const)]);
}

/** Salt of the draw among NEW_WEIGHTS (and of the generator of those cases). */
const NEW_CATEGORY_SALT = 0x6a09e667;

/**
 * After writing the bytes: 'await' sends a sentinel request behind them and waits for
 * the answer(s) or the close; 'end' half-closes (FIN) and 'reset' aborts (RST) — used
 * when the bytes leave the stream mid-frame on purpose. Slow senders (run on a
 * connection of their own) trickle them, or stop reading.
 */
export type Delivery = 'await' | 'end' | 'reset' | Trickle | NoRead;

/**
 * The bytes go out `pieceBytes` at a time with `gapMs` between writes. Without
 * stopAfterBytes all of them are sent, then the sentinel, and the case is judged as
 * 'await'; with it, the sender goes silent after that many bytes (or once the broker
 * closes) — the expectation is then a 'timeout-close'.
 */
export interface Trickle {
  readonly kind: 'trickle';
  readonly pieceBytes: number;
  readonly gapMs: number;
  readonly stopAfterBytes?: number;
  /**
   * A whole trickle is paced to take a fraction of this (the broker's receive timeout): if
   * our side was so slow that the body took longer, a close is the broker's right.
   */
  readonly receiveTimeoutMs?: number;
}

/** The bytes (pipelined requests with large answers) go out at once; the answers are never read. */
export interface NoRead {
  readonly kind: 'no-read';
}

/**
 * What the broker must do with a case:
 * - close: close the connection without answering (bad size prefix, undecodable request);
 * - answer: answer (a valid request to an API and version the broker serves);
 * - unsupported: close, or answer with top-level UNSUPPORTED_VERSION (ApiVersions: answer);
 * - any: anything but crash, hang or answer out of schema;
 * - partition-error: answer the Produce request, its one partition with one of `codes`;
 * - timeout-close: close the (slow) connection once the named timeout has passed and
 *   within `withinMs` of the moment it started to run, without answering the unfinished
 *   request — the receive timeout from the request's size prefix, the idle timeout from
 *   the connect, the stall timeout from the write of requests whose answers go unread.
 */
export type Expectation = 'close' | 'answer' | 'unsupported' | 'any' | PartitionError | TimeoutClose;

export interface PartitionError {
  readonly kind: 'partition-error';
  readonly codes: readonly number[];
}

export interface TimeoutClose {
  readonly kind: 'timeout-close';
  readonly timeout: 'receive' | 'idle' | 'stall';
  /** The timeout itself: a close well before it is as wrong as none. */
  readonly afterMs: number;
  readonly withinMs: number;
}

/** The expectation in words, for reports. */
export function describeExpectation(e: Expectation): string {
  if (typeof e === 'string') return e;
  if (e.kind === 'partition-error') return `answer, the partition with ${e.codes.map(errorName).join(' or ')}`;
  return `close after the ${e.timeout} timeout (${e.afterMs} ms), within ${e.withinMs} ms`;
}

/** Whether the case must be answered (not closed). */
export function mustBeAnswered(e: Expectation): boolean {
  return e === 'answer' || (typeof e === 'object' && e.kind === 'partition-error');
}

export interface FuzzCase {
  readonly index: number;
  readonly category: Category;
  readonly variant: string;
  /** Exactly the bytes written to the socket. */
  readonly bytes: Buffer;
  readonly delivery: Delivery;
  readonly expect: Expectation;
}

export interface FuzzContext {
  readonly pools: Pools;
  /** Versions the broker serves, by API key (its ApiVersions answer). */
  readonly served: ReadonlyMap<number, readonly [number, number]>;
  /** socket.request.max.bytes of the broker. */
  readonly maxRequestBytes: number;
  /** What issue 9's categories aim at: size limits, the clock, special topics, the listener's timeouts. */
  readonly limits: FuzzLimits;
}

export interface FuzzLimits extends BatchLimits {
  readonly timeouts: ListenerTimeouts;
}

/** The broker's slow-client settings (kafka.requestReceiveTimeout, ...), in ms. */
export interface ListenerTimeouts {
  readonly receiveMs: number;
  readonly stallMs: number;
  readonly idleMs: number;
  /** How often the broker checks them: the shortest of them, at most 1 s. */
  readonly sweepMs: number;
}

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
/** Generated correlation ids stay below this; sentinels use the space above. */
export const CORRELATION_LIMIT = 0x40000000;
/** Produce below v3 carries legacy message sets; the broker advertises but refuses them. */
const PRODUCE_MIN_ACCEPTED = 3;

function withPrefix(body: Buffer, size = body.length): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeInt32BE(size | 0, 0);
  body.copy(out, 4);
  return out;
}

function clientId(rng: Rng): string | null {
  return rng.weighted<() => string | null>([
    [() => 'stratus-fuzz', 6],
    [() => null, 1],
    [() => '', 1],
    [() => randomText(rng, 40), 2],
  ])();
}

export interface ValidRequest {
  readonly frame: Buffer;
  readonly apiKey: number;
  readonly version: number;
  readonly body: Record<string, unknown>;
  readonly correlationId: number;
  readonly clientId: string | null;
}

function servedRange(ctx: FuzzContext, apiKey: number): readonly [number, number] | undefined {
  const served = ctx.served.get(apiKey);
  const spec = apiSpecs.get(apiKey);
  if (served === undefined || spec === undefined) return undefined;
  const min = Math.max(served[0], spec.request.valid[0], apiKey === ApiKey.Produce ? PRODUCE_MIN_ACCEPTED : 0);
  const max = Math.min(served[1], spec.request.valid[1]);
  return min <= max ? [min, max] : undefined;
}

/** A request the codec encodes without complaint: any API, or one the broker serves. */
export function validRequest(rng: Rng, ctx: FuzzContext, servedOnly: boolean, wild = false): ValidRequest {
  const servedKeys = [...ctx.served.keys()].filter((k) => servedRange(ctx, k) !== undefined);
  const anyKeys = [...apiSpecs.keys()];
  for (let attempt = 0; ; attempt++) {
    const useServed = servedOnly || rng.bool(0.7);
    const apiKey = useServed ? rng.pick(servedKeys) : rng.pick(anyKeys);
    const spec = apiSpecs.get(apiKey)!;
    const range = (useServed ? servedRange(ctx, apiKey) : undefined) ?? spec.request.valid;
    const version = rng.int(range[0], range[1]);
    const body = new ValueGenerator(rng, ctx.pools, wild).message(spec.request, version);
    const correlationId = rng.int(0, CORRELATION_LIMIT - 1);
    const id = clientId(rng);
    try {
      const frame = encodeRequest(apiKey as ApiKeyNumber, version, correlationId, id, body as never);
      return { frame, apiKey, version, body, correlationId, clientId: id };
    } catch (e) {
      // The generator produced something the schema cannot carry: a bug in the generator.
      if (attempt >= 20) throw new Error(`cannot encode a random API ${apiKey} v${version} request: ${(e as Error).message}`);
    }
  }
}

/** Whether the broker must answer this valid request (it serves it and it is not acks=0). */
function mustAnswer(ctx: FuzzContext, r: ValidRequest): boolean {
  const range = servedRange(ctx, r.apiKey);
  if (range === undefined || r.version < range[0] || r.version > range[1]) return false;
  if (r.apiKey === ApiKey.Produce && r.body['acks'] === 0) return false;
  return true;
}

/** Whether the broker must refuse the version (it does not serve it). */
function unsupportedVersion(ctx: FuzzContext, apiKey: number, version: number): boolean {
  const served = ctx.served.get(apiKey);
  return served === undefined || version < served[0] || version > served[1] || (apiKey === ApiKey.Produce && version < PRODUCE_MIN_ACCEPTED);
}

// ----------------------------------------------------------------------------- categories

function sizePrefixCase(rng: Rng, ctx: FuzzContext): Omit<FuzzCase, 'index' | 'category'> {
  const max = ctx.maxRequestBytes;
  const variant = rng.pick(['negative', 'over-limit'] as const);
  const size =
    variant === 'negative'
      ? rng.pick([-1, -2, INT32_MIN, rng.int(INT32_MIN, -1)])
      : rng.pick([max + 1, max + 2, INT32_MAX, rng.int(max + 1, INT32_MAX)]);
  const tail = rng.weighted<() => Buffer>([
    [() => Buffer.alloc(0), 1],
    [() => rng.bytes(rng.size(64)), 1],
    [() => validRequest(rng, ctx, true).frame.subarray(4), 2],
  ])();
  const head = Buffer.allocUnsafe(4);
  head.writeInt32BE(size, 0);
  return { variant, bytes: Buffer.concat([head, tail]), delivery: 'await', expect: 'close' };
}

function truncatedCase(rng: Rng, ctx: FuzzContext): Omit<FuzzCase, 'index' | 'category'> {
  const variant = rng.pick(['partial-then-fin', 'partial-then-rst', 'longer-prefix-then-frame', 'huge-declared-then-fin', 'prefix-bytes-only'] as const);
  const frame = validRequest(rng, ctx, rng.bool(0.7)).frame;
  const delivery: Delivery = variant === 'partial-then-rst' || rng.bool(0.2) ? 'reset' : 'end';
  switch (variant) {
    case 'partial-then-fin':
    case 'partial-then-rst':
      return { variant, bytes: frame.subarray(0, rng.int(4, frame.length - 1)), delivery, expect: 'any' };
    case 'longer-prefix-then-frame': {
      // The prefix claims more than the body; the next frame's bytes fill the gap.
      const next = validRequest(rng, ctx, true).frame;
      const declared = frame.length - 4 + rng.weighted([[rng.int(1, next.length - 1), 3], [rng.int(next.length + 1, next.length + 4096), 1]]);
      const bytes = Buffer.concat([frame, next]);
      bytes.writeInt32BE(declared, 0);
      return { variant, bytes, delivery, expect: 'any' };
    }
    case 'huge-declared-then-fin': {
      const declared = rng.pick([1 << 20, 16 << 20, ctx.maxRequestBytes - 1, ctx.maxRequestBytes, rng.int(1, ctx.maxRequestBytes)]);
      const bytes = Buffer.from(frame.subarray(0, rng.int(4, frame.length)));
      bytes.writeInt32BE(declared, 0);
      return { variant, bytes, delivery, expect: 'any' };
    }
    case 'prefix-bytes-only':
      return { variant, bytes: frame.subarray(0, rng.int(1, 3)), delivery, expect: 'any' };
  }
}

/** API keys the codec has never heard of (the broker can only close). */
function unknownApiKey(rng: Rng): number {
  const draw = rng.weighted<() => number>([
    [() => rng.int(0, 100), 4],
    [() => rng.pick([-1, -32768, 32767, 255, 256, 1000]), 1],
    [() => rng.int(-32768, 32767), 1],
  ]);
  for (;;) {
    const k = draw();
    if (!apiSpecs.has(k)) return k;
  }
}

function header(apiKey: number, version: number, correlationId: number, id: string | null, flexible: boolean): Buffer {
  const idBytes = id === null ? undefined : Buffer.from(id, 'utf8');
  const out = Buffer.alloc(10 + (idBytes?.length ?? 0) + (flexible ? 1 : 0));
  out.writeInt16BE(apiKey, 0);
  out.writeInt16BE(version, 2);
  out.writeInt32BE(correlationId, 4);
  out.writeInt16BE(idBytes === undefined ? -1 : idBytes.length, 8);
  idBytes?.copy(out, 10);
  return out;
}

function unknownApiCase(rng: Rng, ctx: FuzzContext): Omit<FuzzCase, 'index' | 'category'> {
  const variant = rng.weighted([
    ['unknown-key', 3],
    ['version-above-codec', 2],
    ['version-below-codec', 1],
    ['version-above-served', 2],
    ['version-below-served', 1],
    ['version-extreme', 1],
  ] as const);
  if (variant === 'unknown-key') {
    const body = rng.bool(0.5) ? rng.bytes(rng.size(64)) : validRequest(rng, ctx, false).frame.subarray(4 + 10);
    const h = header(unknownApiKey(rng), rng.pick([0, 1, 2, rng.int(0, 20), rng.int(-32768, 32767)]), rng.int(0, CORRELATION_LIMIT - 1), clientId(rng), rng.bool(0.3));
    return { variant, bytes: withPrefix(Buffer.concat([h, body])), delivery: 'await', expect: 'close' };
  }
  // A request valid at some version, relabelled with a version next to the range.
  const base = validRequest(rng, ctx, variant.endsWith('served'));
  const spec = apiSpecs.get(base.apiKey)!;
  const served = ctx.served.get(base.apiKey);
  let version: number;
  switch (variant) {
    case 'version-above-codec':
      version = spec.request.valid[1] + rng.pick([1, 1, 2, 10]);
      break;
    case 'version-below-codec':
      version = spec.request.valid[0] - rng.pick([1, 1, 2]);
      break;
    case 'version-above-served':
      version = (served?.[1] ?? spec.request.valid[1]) + 1;
      break;
    case 'version-below-served':
      version = (served?.[0] ?? spec.request.valid[0]) - 1;
      break;
    case 'version-extreme':
      version = rng.pick([-1, -32768, 32767, 0x7ffe]);
      break;
  }
  version = Math.max(-32768, Math.min(32767, version));
  const bytes = Buffer.from(base.frame);
  bytes.writeInt16BE(version, 6);
  const expect: Expectation = unsupportedVersion(ctx, base.apiKey, version) ? 'unsupported' : 'any';
  return { variant, bytes, delivery: 'await', expect };
}

function validCase(rng: Rng, ctx: FuzzContext): Omit<FuzzCase, 'index' | 'category'> {
  const r = validRequest(rng, ctx, false);
  const variant = `${apiSpecs.get(r.apiKey)!.name}`;
  return { variant, bytes: r.frame, delivery: 'await', expect: mustAnswer(ctx, r) ? 'answer' : 'any' };
}

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];

/** Byte-level mutations of a frame body (without its size prefix). */
export function mutate(rng: Rng, input: Buffer): { body: Buffer; ops: string[] } {
  let body = Buffer.from(input);
  const ops: string[] = [];
  const count = rng.weighted([
    [1, 6],
    [2, 3],
    [3, 2],
    [rng.int(4, 12), 1],
  ]);
  for (let i = 0; i < count; i++) {
    // A third of the mutations land in the request header (API key, version, correlation id, client id).
    const pos = (): number => (body.length === 0 ? 0 : rng.bool(0.3) ? rng.int(0, Math.min(body.length, 14) - 1) : rng.int(0, body.length - 1));
    const op = rng.weighted([
      ['flip', 5],
      ['set-byte', 3],
      ['insert', 2],
      ['delete', 2],
      ['int32', 2],
      ['int16', 1],
      ['duplicate', 1],
      ['truncate', 1],
      ['append', 1],
    ] as const);
    if (body.length === 0 && op !== 'insert' && op !== 'append') continue;
    ops.push(op);
    switch (op) {
      case 'flip': {
        const at = pos();
        body[at] = body[at]! ^ (1 << rng.int(0, 7));
        break;
      }
      case 'set-byte':
        body[pos()] = rng.pick(INTERESTING_BYTES);
        break;
      case 'insert': {
        const at = body.length === 0 ? 0 : pos();
        body = Buffer.concat([body.subarray(0, at), rng.bool(0.5) ? rng.bytes(rng.int(1, 16)) : Buffer.alloc(rng.int(1, 16), rng.pick(INTERESTING_BYTES)), body.subarray(at)]);
        break;
      }
      case 'delete': {
        const at = pos();
        body = Buffer.concat([body.subarray(0, at), body.subarray(Math.min(body.length, at + rng.int(1, 16)))]);
        break;
      }
      case 'int32': {
        if (body.length < 4) break;
        const at = rng.int(0, body.length - 4);
        body.writeInt32BE(rng.pick([0, -1, 1, INT32_MAX, INT32_MIN, 0x7fff, rng.int(INT32_MIN, INT32_MAX)]), at);
        break;
      }
      case 'int16': {
        if (body.length < 2) break;
        body.writeInt16BE(rng.pick([0, -1, 1, 0x7fff, -0x8000, rng.int(-0x8000, 0x7fff)]), rng.int(0, body.length - 2));
        break;
      }
      case 'duplicate': {
        const from = rng.int(0, body.length - 1);
        const chunk = body.subarray(from, Math.min(body.length, from + rng.int(1, 64)));
        const at = pos();
        body = Buffer.concat([body.subarray(0, at), chunk, body.subarray(at)]);
        break;
      }
      case 'truncate':
        body = body.subarray(0, rng.int(0, body.length - 1));
        break;
      case 'append':
        body = Buffer.concat([body, rng.bytes(rng.int(1, 32))]);
        break;
    }
  }
  return { body, ops };
}

function mutatedCase(rng: Rng, ctx: FuzzContext): Omit<FuzzCase, 'index' | 'category'> {
  const base = validRequest(rng, ctx, rng.bool(0.75), rng.bool(0.1)).frame;
  const { body, ops } = mutate(rng, base.subarray(4));
  const variant = ops.length === 0 ? 'none' : ops.length === 1 ? ops[0]! : 'several';
  // Usually the size prefix is fixed up to the new length (so the broker reads exactly
  // the mutated request); sometimes the old one stays and the stream goes out of step.
  if (body.length !== base.length - 4 && rng.bool(0.1)) {
    return { variant: `stale-prefix:${variant}`, bytes: withPrefix(body, base.length - 4), delivery: rng.bool(0.5) ? 'end' : 'reset', expect: 'any' };
  }
  return { variant, bytes: withPrefix(body), delivery: 'await', expect: 'any' };
}

function corruptBatchCase(rng: Rng, ctx: FuzzContext): Omit<FuzzCase, 'index' | 'category'> {
  const { variant, records } = corruptBatch(rng);
  const range = servedRange(ctx, ApiKey.Produce) ?? [PRODUCE_MIN_ACCEPTED, 11];
  const version = rng.int(range[0], range[1]);
  const acks = rng.weighted([
    [-1, 8],
    [1, 1],
    [0, 1],
  ]);
  const topic = rng.pick(ctx.pools.topics);
  const body = {
    transactionalId: null,
    acks,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: rng.int(0, 2), records }] }],
  };
  const frame = encodeRequest(ApiKey.Produce, version, rng.int(0, CORRELATION_LIMIT - 1), 'stratus-fuzz', body);
  // acks=0: a failed produce closes the connection instead of answering.
  return { variant, bytes: frame, delivery: 'await', expect: acks === 0 ? 'any' : 'answer' };
}

// ------------------------------------------------------------------- absurd length prefixes

type SlotKind = 'array' | 'string' | 'bytes';

interface Slot {
  readonly path: readonly (string | number)[];
  readonly kind: SlotKind;
  readonly compact: boolean;
}

function fieldCompact(f: FieldSpec, version: number, flexible: boolean): boolean {
  return f.flexible !== undefined ? inRange(f.flexible, version) : flexible;
}

/** Every length-prefixed value present in `value` (a generated body), with its encoding. */
function lengthSlots(fields: readonly FieldSpec[], value: Record<string, unknown>, version: number, flexible: boolean, path: (string | number)[], out: Slot[]): void {
  for (const f of fields) {
    if (!inRange(f.versions, version) || inRange(f.tagged, version)) continue;
    const v = value[f.name];
    if (v === null || v === undefined) continue;
    const compact = fieldCompact(f, version, flexible);
    collect(f.type, v, version, flexible, compact, [...path, f.name], out);
  }
}

function collect(t: TypeSpec, v: unknown, version: number, flexible: boolean, compact: boolean, path: (string | number)[], out: Slot[]): void {
  if (typeof t === 'string') {
    if (t === 'string' && typeof v === 'string' && Buffer.byteLength(v) < 100) out.push({ path, kind: 'string', compact });
    if ((t === 'bytes' || t === 'records') && v instanceof Uint8Array && v.length < 100) out.push({ path, kind: 'bytes', compact });
    return;
  }
  if ('array' in t) {
    const a = v as unknown[];
    if (a.length > 0 && a.length < 100) out.push({ path, kind: 'array', compact });
    a.forEach((e, i) => collect(t.array, e, version, flexible, compact, [...path, i], out));
    return;
  }
  lengthSlots(t.struct.fields, v as Record<string, unknown>, version, flexible, path, out);
}

function withValueAt(root: Record<string, unknown>, path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(root);
  let at: Record<string | number, unknown> = copy;
  for (let i = 0; i < path.length - 1; i++) at = at[path[i]!] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
  return copy;
}

function uvarint(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** Whether a frame's header and body decode, ignoring bytes after the body (what the broker does). */
function decodesAsPrefix(frame: Buffer): boolean {
  const h = decodeRequestHeader(frame);
  return h.ok && h.value.known && decodeRequestBodyPrefix(h.value.header.apiKey as ApiKeyNumber, h.value.header.apiVersion, frame, h.value.bodyOffset).ok;
}

function absurdCountCase(rng: Rng, ctx: FuzzContext): Omit<FuzzCase, 'index' | 'category'> {
  for (;;) {
    const r = validRequest(rng, ctx, rng.bool(0.8));
    const spec: MessageSpec = apiSpecs.get(r.apiKey)!.request;
    const flexible = inRange(spec.flexible, r.version);
    const slots: Slot[] = [];
    lengthSlots(spec.fields, r.body, r.version, flexible, [], slots);
    if (slots.length === 0) continue;
    const slot = rng.pick(slots);
    // Two encodings that differ only in this value's length: the first differing byte
    // locates the length prefix.
    const empty = slot.kind === 'array' ? [] : slot.kind === 'string' ? '' : Buffer.alloc(0);
    const other = encodeRequest(r.apiKey as ApiKeyNumber, r.version, r.correlationId, r.clientId, withValueAt(r.body, slot.path, empty) as never);
    let diff = 0;
    while (diff < other.length && other[diff] === r.frame[diff]) diff++;
    if (diff >= other.length) continue;
    const classicWidth = slot.kind === 'string' ? 2 : 4;
    const start = slot.compact ? diff : diff - (classicWidth - 1);
    // The original length's encoding is one byte (compact) or classicWidth bytes.
    const end = slot.compact ? diff + 1 : start + classicWidth;
    let absurd: Buffer;
    let label: string;
    if (slot.compact) {
      const n = rng.pick([2 ** 31, 2 ** 31 - 1, 0xffffffff, 2 ** 28, 0x7fffff00]);
      absurd = rng.bool(0.1) ? Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]) : uvarint(n);
      label = absurd.length > 5 ? 'overlong-varint' : `uvarint-${n}`;
    } else if (slot.kind === 'string') {
      const n = rng.pick([0x7fff, 0x7ffe, -2, -0x8000]);
      absurd = Buffer.alloc(2);
      absurd.writeInt16BE(n, 0);
      label = `int16-${n}`;
    } else {
      const n = rng.pick([INT32_MAX, INT32_MAX - 1, 2 ** 30, 1 << 16, -2, INT32_MIN]);
      absurd = Buffer.alloc(4);
      absurd.writeInt32BE(n, 0);
      label = `int32-${n}`;
    }
    const body = Buffer.concat([r.frame.subarray(4, start), absurd, r.frame.subarray(end)]);
    // A version the broker does not serve is refused before its body is read. A negative
    // count of a nullable field reads as null and leaves the rest of the frame over, which
    // the broker ignores as Kafka does: then any answer is right.
    const expect: Expectation = unsupportedVersion(ctx, r.apiKey, r.version) ? 'unsupported' : decodesAsPrefix(body) ? 'any' : 'close';
    return { variant: `${slot.kind}:${label}`, bytes: withPrefix(body), delivery: 'await', expect };
  }
}

function garbageCase(rng: Rng, ctx: FuzzContext): Omit<FuzzCase, 'index' | 'category'> {
  const variant = rng.weighted([
    ['random-framed', 4],
    ['short-header', 2],
    ['empty-frame', 1],
    ['real-header-random-body', 3],
    ['raw-stream', 2],
  ] as const);
  switch (variant) {
    case 'random-framed':
      return { variant, bytes: withPrefix(rng.bytes(rng.int(8, 300))), delivery: 'await', expect: 'any' };
    case 'short-header':
      return { variant, bytes: withPrefix(rng.bytes(rng.int(1, 7))), delivery: 'await', expect: 'close' };
    case 'empty-frame':
      return { variant, bytes: withPrefix(Buffer.alloc(0)), delivery: 'await', expect: 'close' };
    case 'real-header-random-body': {
      const r = validRequest(rng, ctx, true);
      const headerBytes = 10 + (r.clientId === null ? 0 : Buffer.byteLength(r.clientId));
      return { variant, bytes: withPrefix(Buffer.concat([r.frame.subarray(4, 4 + headerBytes), rng.bytes(rng.size(200))])), delivery: 'await', expect: 'any' };
    }
    case 'raw-stream':
      return { variant, bytes: rng.bytes(rng.int(1, 512)), delivery: rng.bool(0.5) ? 'end' : 'reset', expect: 'any' };
  }
}

// ------------------------------------------------------------ batches with an answer code

/** A Produce request carrying one batch case; acks=0 turns "must refuse" into "must close". */
function batchCase(rng: Rng, ctx: FuzzContext, bc: BatchCase): Omit<FuzzCase, 'index' | 'category'> {
  const range = servedRange(ctx, ApiKey.Produce) ?? [PRODUCE_MIN_ACCEPTED, 11];
  const version = rng.int(Math.max(range[0], bc.minVersion), Math.min(range[1], bc.maxVersion ?? range[1]));
  const acks = rng.weighted([
    [-1, 8],
    [1, 1],
    [0, 1],
  ]);
  const { name, partitions } = bc.topic ?? ctx.limits.topics.plain;
  const partition = rng.int(0, partitions - 1);
  const body = {
    transactionalId: null,
    acks,
    timeoutMs: 5_000,
    topicData: [{ name, partitionData: [{ index: partition, records: bc.records }] }],
  };
  const frame = encodeRequest(ApiKey.Produce, version, rng.int(0, CORRELATION_LIMIT - 1), 'stratus-fuzz', body);
  // acks=0 gets no answer: a refused batch closes the connection, a taken one is silent.
  const expect: Expectation = acks !== 0 ? { kind: 'partition-error', codes: bc.codes } : bc.codes.includes(ErrorCode.NONE) ? 'any' : 'close';
  return { variant: bc.variant, bytes: frame, delivery: 'await', expect };
}

// ----------------------------------------------------------------------------- slow senders

/** Beyond the timeout and one sweep, how late a close may come on a busy machine. */
const CLOSE_SLACK_MS = 2_500;
const MiB = 1024 * 1024;

function fetchBulk(ctx: FuzzContext, correlationId: number): Buffer {
  const served = servedRange(ctx, ApiKey.Fetch) ?? [4, 12];
  // Topics by name (v13 and later name them by id).
  const version = Math.max(served[0], Math.min(served[1], 12));
  return encodeRequest(ApiKey.Fetch, version, correlationId, 'stratus-fuzz-slow', {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 16 * MiB,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: ctx.limits.topics.bulk.name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 16 * MiB }] }],
    forgottenTopicsData: [],
    rackId: '',
  } as never);
}

function slowSenderCase(rng: Rng, ctx: FuzzContext): Omit<FuzzCase, 'index' | 'category'> {
  const t = ctx.limits.timeouts;
  const variant = rng.weighted([
    ['trickle-in-time', 3],
    ['trickle-too-slow', 2],
    ['stop-mid-body', 2],
    ['stop-in-prefix', 1],
    ['stop-reading', 2],
  ] as const);
  const closes = (timeout: TimeoutClose['timeout'], ms: number, extraMs = 0): TimeoutClose => ({ kind: 'timeout-close', timeout, afterMs: ms, withinMs: ms + 2 * t.sweepMs + CLOSE_SLACK_MS + extraMs });
  switch (variant) {
    case 'trickle-in-time': {
      // Byte by byte (or in pieces, for longer frames), all of it well within the receive timeout.
      const r = validRequest(rng, ctx, true);
      let bytes = r.frame;
      let expect: Expectation = mustAnswer(ctx, r) ? 'answer' : 'any';
      if (rng.bool(0.25)) {
        bytes = withPrefix(mutate(rng, r.frame.subarray(4)).body);
        expect = 'any';
      }
      // At most 40 pieces: on a busy test process each timer runs late, and few long gaps drift less than many short ones.
      const pieceBytes = Math.max(1, Math.ceil(bytes.length / 40));
      const pieces = Math.ceil(bytes.length / pieceBytes);
      const gapMs = Math.floor((t.receiveMs * rng.pick([0.1, 0.25, 0.4])) / pieces);
      return { variant: expect === 'any' && r.frame !== bytes ? `${variant}:mutated` : variant, bytes, delivery: { kind: 'trickle', pieceBytes, gapMs, receiveTimeoutMs: t.receiveMs }, expect };
    }
    case 'trickle-too-slow': {
      // A byte every fifth of the receive timeout: the size prefix is in well before the
      // idle timeout could fire, the body (10 bytes at least) never in time.
      const r = validRequest(rng, ctx, true);
      const gapMs = Math.floor(t.receiveMs / 5);
      return { variant, bytes: r.frame, delivery: { kind: 'trickle', pieceBytes: 1, gapMs, stopAfterBytes: r.frame.length }, expect: closes('receive', t.receiveMs) };
    }
    case 'stop-mid-body': {
      const r = validRequest(rng, ctx, true);
      let bytes: Buffer;
      let label: string;
      if (rng.bool(0.6)) {
        bytes = r.frame.subarray(0, rng.int(4, r.frame.length - 1));
        label = 'real';
      } else {
        // A large frame announced (a large request takes the budget's large share), a little of it sent.
        const declared = rng.pick([64 * 1024, MiB, MiB + 1, 16 * MiB, 64 * MiB].filter((n) => n <= ctx.maxRequestBytes));
        const head = r.frame.subarray(0, Math.min(r.frame.length, 4 + 14));
        // Always short of the announced size: the body never completes.
        bytes = Buffer.concat([head, rng.bytes(rng.size(Math.min(64 * 1024, declared - head.length)))]);
        bytes.writeInt32BE(declared, 0);
        label = declared > MiB ? 'large' : 'announced';
      }
      return { variant: `${variant}:${label}`, bytes, delivery: { kind: 'trickle', pieceBytes: bytes.length, gapMs: 0, stopAfterBytes: bytes.length }, expect: closes('receive', t.receiveMs) };
    }
    case 'stop-in-prefix': {
      // Fewer than 4 bytes: no request yet, so the idle timeout is what closes it.
      const bytes = validRequest(rng, ctx, true).frame.subarray(0, rng.int(1, 3));
      return { variant, bytes, delivery: { kind: 'trickle', pieceBytes: 1, gapMs: Math.floor(t.receiveMs / 8), stopAfterBytes: bytes.length }, expect: closes('idle', t.idleMs) };
    }
    case 'stop-reading': {
      // Fetches whose answers (MiBs each) fill the socket's buffers, then small requests; none read.
      const frames: Buffer[] = [];
      const fetches = rng.int(2, 3);
      for (let i = 0; i < fetches; i++) frames.push(fetchBulk(ctx, 2 * i), validRequest(rng, ctx, true).frame);
      return { variant, bytes: Buffer.concat(frames), delivery: { kind: 'no-read' }, expect: closes('stall', t.stallMs, 1_000) };
    }
  }
}

const BUILDERS: Record<Category, (rng: Rng, ctx: FuzzContext) => Omit<FuzzCase, 'index' | 'category'>> = {
  'size-prefix': sizePrefixCase,
  truncated: truncatedCase,
  'unknown-api': unknownApiCase,
  valid: validCase,
  mutated: mutatedCase,
  'corrupt-batch': corruptBatchCase,
  'absurd-count': absurdCountCase,
  garbage: garbageCase,
  oversized: (rng, ctx) => batchCase(rng, ctx, oversizedBatch(rng, ctx.limits)),
  'lying-batch': (rng, ctx) => batchCase(rng, ctx, lyingBatch(rng, ctx.limits)),
  'bad-timestamp': (rng, ctx) => batchCase(rng, ctx, badTimestampBatch(rng, ctx.limits)),
  'slow-sender': slowSenderCase,
};

const NEW_TOTAL = NEW_WEIGHTS.reduce((n, [, w]) => n + w, 0);

/** The category of case `index` and the generator its builder draws from. */
function draw(seed: number, index: number): { readonly category: Category; readonly rng: Rng } {
  // First draw: one of issue 9's categories, from a stream of its own; otherwise the
  // original draw, untouched, so those cases are what they always were for this seed and index.
  const fresh = Rng.forCase(seed, index, NEW_CATEGORY_SALT);
  const x = fresh.float() * 100;
  if (x < NEW_TOTAL) {
    let left = x;
    const category = NEW_WEIGHTS.find(([, w]) => (left -= w) < 0)?.[0] ?? NEW_WEIGHTS[NEW_WEIGHTS.length - 1]![0];
    return { category, rng: fresh };
  }
  const rng = Rng.forCase(seed, index);
  return { category: rng.weighted(WEIGHTS), rng };
}

/** The category of case `index` under `seed`, without building the case. */
export function categoryOf(seed: number, index: number): Category {
  return draw(seed, index).category;
}

/** Case `index` of the run with `seed`: a pure function of its arguments. */
export function generateCase(seed: number, index: number, ctx: FuzzContext): FuzzCase {
  const { category, rng } = draw(seed, index);
  return { index, category, ...BUILDERS[category](rng, ctx) };
}
