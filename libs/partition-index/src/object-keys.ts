// Names of the objects Stratus writes. A short hash comes first so that keys spread
// across prefixes: object stores rate-limit per prefix, and a time-ordered name alone
// would put every write of a cluster on one.
//
// Two kinds, told apart by their shape:
//   stream-set objects (uploads)  <hash>/<prefix>/<nodeId>/<time>-<seq>.sso
//   compacted objects (merges)    <hash>/<prefix>/compacted/<time>-<seq>.sso, or
//                                 <hash>/<prefix>/compacted/<topicId>/<partition>/<time>-<seq>.sso
//                                 when the object holds one partition's merge
// The time (13 digits, epoch ms of the writer's clock) lets the controller refuse a late
// commit of an object that the orphan sweep may already have taken for garbage, and the
// hash lets the sweep recognise the objects of this cluster in a shared bucket.

import { crc32c } from '@stratus/protocol';

/**
 * `<4 hex hash>/<prefix>/<nodeId>/<time ms, 13 digits>-<seq>.sso`, e.g.
 * `a3f0/stratus/1/1700000000123-000042.sso`. The hash is of the rest of the name.
 */
export function streamSetObjectKey(prefix: string, nodeId: number, timeMs: number, seq: number): string {
  return withHash(`${prefix}/${nodeId}/${timeAndSeq(timeMs, seq)}`);
}

/**
 * A compacted object: `<hash>/<prefix>/compacted/<time>-<seq>.sso` holding merges of
 * several partitions, or with `<topicId>/<partition>/` before the time when it holds one
 * partition's (easier to tell apart when looking at a bucket).
 */
export function compactedObjectKey(prefix: string, timeMs: number, seq: number, only?: { topicId: string; partition: number }): string {
  const partition = only === undefined ? '' : `${only.topicId}/${only.partition}/`;
  return withHash(`${prefix}/${COMPACTED}/${partition}${timeAndSeq(timeMs, seq)}`);
}

export interface ParsedObjectKey {
  readonly kind: 'stream-set' | 'compacted';
  /** The key prefix the writer was given (the cluster name in `stratus dev`). */
  readonly prefix: string;
  /** The writer's clock when it named the object (epoch ms). */
  readonly writtenAtMs: number;
}

/** The parts of a key made by the two functions above; undefined for any other key (or a wrong hash). */
export function parseObjectKey(key: string): ParsedObjectKey | undefined {
  const slash = key.indexOf('/');
  if (slash !== 4 || !/^[0-9a-f]{4}$/.test(key.slice(0, 4))) return undefined;
  const rest = key.slice(5);
  if (withHash(rest) !== key) return undefined;
  const parts = rest.split('/');
  const last = /^(\d{13})-(\d{6,})\.sso$/.exec(parts[parts.length - 1] ?? '');
  if (last === null) return undefined;
  const writtenAtMs = Number(last[1]);
  const n = parts.length;
  if (n >= 5 && parts[n - 4] === COMPACTED && /^[A-Za-z0-9_-]{22}$/.test(parts[n - 3]!) && /^\d+$/.test(parts[n - 2]!)) {
    return { kind: 'compacted', prefix: parts.slice(0, n - 4).join('/'), writtenAtMs };
  }
  if (n >= 3 && parts[n - 2] === COMPACTED) return { kind: 'compacted', prefix: parts.slice(0, n - 2).join('/'), writtenAtMs };
  if (n >= 3 && /^\d+$/.test(parts[n - 2]!)) return { kind: 'stream-set', prefix: parts.slice(0, n - 2).join('/'), writtenAtMs };
  return undefined;
}

const COMPACTED = 'compacted';

function timeAndSeq(timeMs: number, seq: number): string {
  return `${String(timeMs).padStart(13, '0')}-${String(seq).padStart(6, '0')}.sso`;
}

function withHash(rest: string): string {
  const hash = (crc32c(Buffer.from(rest)) >>> 16).toString(16).padStart(4, '0');
  return `${hash}/${rest}`;
}
