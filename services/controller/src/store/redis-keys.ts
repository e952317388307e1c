// Every Redis key the controller uses, in one place (docs/architecture.md, "Metadata in
// Redis", shows the same table). All start with a configurable prefix (default
// `stratus:`), so several clusters can share one Redis. The store's scripts and the
// election lease name keys only through this file.
//
//   key                         type    what
//   <p>controller:epoch         string  the controller epoch: incremented by every new lease holder,
//                                       never decreased; every write script checks it (fencing)
//   <p>controller:lease         string  "<epoch> <holderId>" with a PX expiry: the election lease
//   <p>journal                  list    journal entries (record-codec.ts bytes), oldest first
//   <p>journal:base             string  sequence number of the list's first entry (0 before any trim)
//   <p>snapshot                 hash    the current snapshot: id, upToSeq, chunks, bytes, crc, format
//   <p>snapshot:<id>            list    the snapshot's payload chunks (JSON lines of snapshot sections)
//   <p>snapshot:next-id         string  counter for snapshot ids
//   <p>snapshot:pending         set     ids of snapshots being written (not yet switched to)
//
// A journal entry's sequence number is `journal:base` + its list index. Scripts name
// every key they touch in KEYS; for Redis Cluster all keys would need one hash slot,
// which a prefix with a hash tag gives (`{stratus}:`) — not tested: we run standalone
// Redis or Sentinel.

export interface RedisKeys {
  readonly prefix: string;
  readonly epoch: string;
  readonly lease: string;
  readonly journal: string;
  readonly journalBase: string;
  readonly snapshot: string;
  readonly snapshotNextId: string;
  readonly snapshotPending: string;
  /** The payload list of snapshot `id`. */
  snapshotChunks(id: string): string;
}

export const DEFAULT_KEY_PREFIX = 'stratus:';

/** Longest key prefix accepted: keys are sent with every command. */
export const MAX_KEY_PREFIX_CHARS = 200;

export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX): RedisKeys {
  if (prefix.length === 0 || prefix.length > MAX_KEY_PREFIX_CHARS || /[\s]/.test(prefix)) {
    throw new TypeError(`Redis key prefix must be 1 to ${MAX_KEY_PREFIX_CHARS} characters without whitespace, got ${JSON.stringify(prefix)}`);
  }
  return {
    prefix,
    epoch: `${prefix}controller:epoch`,
    lease: `${prefix}controller:lease`,
    journal: `${prefix}journal`,
    journalBase: `${prefix}journal:base`,
    snapshot: `${prefix}snapshot`,
    snapshotNextId: `${prefix}snapshot:next-id`,
    snapshotPending: `${prefix}snapshot:pending`,
    snapshotChunks: (id: string) => `${prefix}snapshot:${id}`,
  };
}
