// Random request bodies for any API at any version, by walking the generated message
// schemas (@stratus/protocol's apiSpecs). Values are valid for the codec — the encoder
// never refuses them — but otherwise arbitrary, with a bias towards what reaches deep
// into a handler: field names decide the pool a value comes from (topic names of the
// fuzz topics, their ids, group ids, config keys, partition indexes, the special
// offsets and timestamps), and edge values (0, -1, the type's min and max) are common.
//
// Time fields (timeouts, long-poll waits) are kept short unless `wild` says otherwise,
// so a valid request rarely parks a fuzz connection for seconds; the byte mutations
// still produce wild ones now and then.

import { inRange } from '@stratus/protocol';
import type { FieldSpec, MessageSpec, StructSpec, TypeSpec } from '@stratus/protocol';
import { randomRecords } from './record-batches.ts';
import type { Rng } from './rng.ts';

/** What the generator may name: things that exist on the broker under test. */
export interface Pools {
  /** Topics created for the fuzzer (never the control topic). */
  readonly topics: readonly string[];
  /** Their topic ids (base64url). */
  readonly topicIds: readonly string[];
  /** Group ids the fuzzer shares between cases (never the control group). */
  readonly groups: readonly string[];
}

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

const CONFIG_KEYS = [
  'retention.ms',
  'retention.bytes',
  'cleanup.policy',
  'max.message.bytes',
  'segment.bytes',
  'min.insync.replicas',
  'message.timestamp.type',
  'compression.type',
  'num.partitions',
  'auto.create.topics.enable',
  'unknown.config',
  '',
];
const CONFIG_VALUES = ['-1', '0', '1', '1000', 'delete', 'compact', 'CreateTime', 'LogAppendTime', 'zstd', 'true', 'nope', '', '9223372036854775807', '-9223372036854775808'];
const ILLEGAL_TOPICS = ['', '.', '..', 'a'.repeat(250), 'bad name!', 'tøpic', '__consumer_offsets', 'x/y'];
const CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._- !@#$%^&*()[]{}/\\\'"`~,;:<>?=+|\t\n\0é€𝄞'];

export function randomText(rng: Rng, maxLength = 16): string {
  const n = rng.size(maxLength);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(CHARS);
  return s;
}

function interesting32(rng: Rng): number {
  return rng.weighted<() => number>([
    [() => 0, 3],
    [() => 1, 2],
    [() => -1, 3],
    [() => INT32_MAX, 1],
    [() => INT32_MIN, 1],
    [() => rng.int(2, 1000), 2],
    [() => rng.int(INT32_MIN, INT32_MAX), 3],
  ])();
}

function interesting16(rng: Rng): number {
  return rng.pick([0, 1, -1, 2, 127, 255, 256, 32767, -32768, rng.int(-32768, 32767)]);
}

function interesting64(rng: Rng): number {
  return rng.pick([0, 1, -1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, rng.int(-(2 ** 53) + 1, 2 ** 53 - 1)]);
}

/** A duration in ms: short unless wild. */
function tameMs(rng: Rng, wild: boolean, min = 0): number {
  if (wild || rng.bool(0.05)) return interesting32(rng);
  return rng.pick([min, min + 1, min + 10, min + 100, min + 250]);
}

export class ValueGenerator {
  readonly rng: Rng;
  readonly pools: Pools;
  /** Time fields may take any value. */
  readonly wild: boolean;
  private depth = 0;

  constructor(rng: Rng, pools: Pools, wild = false) {
    this.rng = rng;
    this.pools = pools;
    this.wild = wild;
  }

  topicName(): string {
    const rng = this.rng;
    return rng.weighted<() => string>([
      [() => rng.pick(this.pools.topics), 6],
      [() => `fuzz-auto-${rng.int(0, 15)}`, 1],
      [() => rng.pick(ILLEGAL_TOPICS), 1],
      [() => randomText(rng, 24), 1],
    ])();
  }

  groupId(): string {
    const rng = this.rng;
    return rng.weighted<() => string>([
      [() => rng.pick(this.pools.groups), 3],
      [() => `fuzz-group-${rng.u32().toString(36)}`, 3],
      [() => '', 1],
      [() => randomText(rng, 24), 1],
    ])();
  }

  message(spec: MessageSpec, version: number): Record<string, unknown> {
    this.depth = 0;
    return this.struct({ name: spec.name, fields: spec.fields }, version, inRange(spec.flexible, version));
  }

  private struct(struct: StructSpec, version: number, flexible: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.depth++;
    for (const f of struct.fields) {
      if (!inRange(f.versions, version)) continue;
      // Tagged fields only travel in flexible versions, and only when not the default.
      if (inRange(f.tagged, version) && (!flexible || this.rng.bool(0.5))) continue;
      out[f.name] = this.field(f, struct.name, version, flexible);
    }
    this.depth--;
    return out;
  }

  private field(f: FieldSpec, parent: string, version: number, flexible: boolean): unknown {
    const nullable = inRange(f.nullable, version);
    if (nullable && this.rng.bool(0.08)) return null;
    return this.value(f.type, f.name, parent, version, flexible, nullable);
  }

  private value(t: TypeSpec, name: string, parent: string, version: number, flexible: boolean, nullable: boolean): unknown {
    if (typeof t === 'string') return this.primitive(t, name, parent, nullable);
    if ('array' in t) {
      const n = this.depth > 3 ? this.rng.int(0, 1) : this.rng.weighted([
        [0, 2],
        [1, 5],
        [2, 2],
        [3, 1],
        [this.rng.int(4, 12), 1],
      ]);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(this.value(t.array, name, parent, version, flexible, false));
      return out;
    }
    return this.struct(t.struct, version, flexible);
  }

  private primitive(t: string, name: string, parent: string, nullable: boolean): unknown {
    const rng = this.rng;
    const n = name.toLowerCase();
    const p = parent.toLowerCase();
    switch (t) {
      case 'bool':
        return rng.bool();
      case 'int8':
        if (n === 'resourcetype') return rng.pick([2, 4, 0, 1, 3, 16, -1, 127]);
        if (n === 'isolationlevel') return rng.pick([0, 1, 2, -1]);
        if (n.includes('operation')) return rng.pick([0, 1, 2, 3, 4, -1]);
        return rng.bool(0.7) ? rng.pick([0, 1, -1, 2, 3]) : rng.int(-128, 127);
      case 'int16':
        if (n === 'acks') return rng.weighted([[-1, 6], [1, 3], [0, 1], [interesting16(rng), 1]]);
        if (n === 'replicationfactor') return rng.pick([-1, 1, 1, 3, 0]);
        if (n.includes('epoch')) return rng.pick([-1, 0, 1, rng.int(-32768, 32767)]);
        return interesting16(rng);
      case 'uint16':
        return rng.pick([0, 1, 65535, rng.int(0, 65535)]);
      case 'int32':
        return this.int32(n, rng);
      case 'uint32':
        return rng.pick([0, 1, 0xffffffff, rng.int(0, 0xffffffff)]);
      case 'int64':
        if (n.includes('timestamp') || n === 'time') return rng.pick([-1, -2, -3, -4, -5, 0, 1, Date.UTC(2024, 0, 1), Number.MAX_SAFE_INTEGER, interesting64(rng)]);
        if (n.includes('offset')) return rng.weighted([[rng.pick([-2, -1, 0, 1, 2, 5, 100]), 5], [interesting64(rng), 1]]);
        if (n.includes('producerid')) return rng.pick([-1, -1, 0, 1, rng.int(0, 2 ** 40), interesting64(rng)]);
        if (n.endsWith('ms')) return this.wild ? interesting64(rng) : rng.pick([-1, 0, 1000, 60_000]);
        return interesting64(rng);
      case 'float64':
        return rng.pick([0, -0, 1.5, -1, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN, rng.float() * 1e6]);
      case 'uuid':
        return rng.weighted<() => string>([
          [() => rng.pick(this.pools.topicIds.length > 0 ? this.pools.topicIds : [ZERO_UUID]), 4],
          [() => ZERO_UUID, 2],
          [() => rng.bytes(16).toString('base64url'), 2],
        ])();
      case 'string':
        return this.string(n, p, nullable);
      case 'bytes':
        return rng.bytes(rng.size(64));
      case 'records':
        return randomRecords(rng);
      default:
        throw new Error(`unknown primitive ${t}`);
    }
  }

  private int32(n: string, rng: Rng): number {
    if (n === 'numpartitions') return rng.pick([-1, 1, 2, 3, 0, -2, 10_001, INT32_MAX]);
    if (n === 'count') return rng.pick([1, 2, 4, 6, 0, -1, 10_001]);
    if (n.includes('partition') && !n.includes('bytes')) return rng.weighted([[rng.int(0, 3), 8], [-1, 1], [interesting32(rng), 1]]);
    if (n === 'index' || n === 'batchindex') return rng.weighted([[rng.int(0, 3), 8], [interesting32(rng), 1]]);
    if (n === 'sessiontimeoutms') return this.wild ? interesting32(rng) : rng.pick([6_000, 6_000, 10_000, 0, -1, INT32_MAX]);
    if (n === 'rebalancetimeoutms') return tameMs(rng, this.wild, 0);
    if (n.endsWith('ms') || n.includes('timeout') || n.includes('wait')) return tameMs(rng, this.wild, 0);
    if (n.includes('maxbytes')) return rng.pick([0, 1, 1024, 1 << 20, 50 << 20, INT32_MAX, -1]);
    if (n.includes('epoch') || n.includes('generation')) return rng.pick([-1, 0, 1, 2, interesting32(rng)]);
    if (n.includes('throttle')) return 0;
    if (n.includes('brokerid') || n.includes('nodeid') || n.includes('replicaid') || n.includes('leaderid')) return rng.pick([-1, 0, 1, 2, interesting32(rng)]);
    if (n.includes('sequence')) return rng.pick([-1, 0, 1, interesting32(rng)]);
    return interesting32(rng);
  }

  private string(n: string, p: string, nullable: boolean): string | null {
    const rng = this.rng;
    if (n === 'transactionalid') return rng.bool(0.85) && nullable ? null : rng.pick(['fuzz-txn', '']);
    if (n.includes('topic') || (n === 'name' && p.includes('topic'))) return this.topicName();
    if (n === 'groupid' || n === 'groups' || (n === 'name' && p.includes('group'))) return this.groupId();
    if (n.includes('memberid') || n.includes('instanceid')) return rng.weighted([['', 5], [randomText(rng, 40), 2], [`member-${rng.int(0, 3)}`, 1]]);
    if (n === 'resourcename') return rng.weighted<() => string>([[() => this.topicName(), 4], [() => rng.pick(['1', '0', '', '-1']), 2], [() => randomText(rng), 1]])();
    if (p.includes('config') && (n === 'name' || n === 'configname' || n === 'key')) return rng.pick(CONFIG_KEYS);
    if (p.includes('config') && n === 'value') return rng.pick(CONFIG_VALUES);
    if (n === 'protocoltype') return rng.pick(['consumer', 'consumer', 'connect', '']);
    if (n === 'name' && p.includes('protocol')) return rng.pick(['range', 'roundrobin', 'cooperative-sticky', '']);
    if (n === 'host') return rng.pick(['localhost', '127.0.0.1', '']);
    if (n.includes('mechanism')) return rng.pick(['PLAIN', 'SCRAM-SHA-256', 'GSSAPI', '']);
    return rng.weighted<() => string>([
      [() => '', 2],
      [() => randomText(rng, 16), 6],
      [() => randomText(rng, 400), 1],
    ])();
  }
}
