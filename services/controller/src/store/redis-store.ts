// The metadata store of a controller cluster (`redis://`, `rediss://`,
// `redis+sentinel://`): the MetadataStore contract (metadata-store.ts) over Redis, with
// every write fenced by the controller epoch of the election lease.
//
// Layout (redis-keys.ts): the journal is a list of entries (record-codec.ts bytes) whose
// first entry has sequence number `journal:base`; the current snapshot is a hash naming a
// list of payload chunks (redis-snapshot.ts).
//
// Appends. Each batch is one APPEND_SCRIPT call (redis-scripts.ts) that, atomically,
// checks the writer's epoch against the epoch key (a stale controller gets FencedError)
// and that the journal ends at the sequence number the writer expects, then pushes the
// batch's entries. A batch larger than `maxValueBytes` is split at record boundaries into
// several entries of the same call (so it is still kept whole or not at all). Batches
// queued while a group is in flight go out together as the next group: their scripts are
// pipelined on the one connection, Redis runs them in order (with `appendfsync always`
// their AOF writes share an fsync), then one `WAIT n timeout` covers the whole group when
// replicas are configured; fewer acknowledgements fail the group. Because each script
// checks the expected sequence number, Redis never keeps a batch after one it refused, and
// the store remembers its first failure and refuses every later append (the contract).
// A reply lost with the connection fails the append too, though Redis may have applied it:
// the caller was not answered, and a restarted controller loads what Redis holds.
//
// Durability: Redis must run with AOF `appendfsync always` (our scripts start it so) or
// with replicas and `?wait=n`, so that an acknowledged append survives a crash or a
// failover. The store cannot see the server's persistence settings over every managed
// Redis, so it does not check them.
//
// Not for several writers: one active controller owns the keys; the epoch check makes
// sure a superseded one cannot write.

import type { ConnectionOptions } from 'node:tls';
import type { MetadataRecord } from '../state/records.ts';
import type { SnapshotSource } from '../state/snapshot-sections.ts';
import { SNAPSHOT_SECTION_ENTRIES } from '../state/snapshot-sections.ts';
import { FencedError } from './fenced-error.ts';
import { MetadataStoreError } from './metadata-store.ts';
import type { JournalBatch, LoadedMetadata, MetadataStore, MetadataStoreStats } from './metadata-store.ts';
import { decodeRecords, encodeRecords } from './record-codec.ts';
import { connectRedis, RedisCommandError } from './redis-connection.ts';
import type { RedisConnection } from './redis-connection.ts';
import { redisKeys } from './redis-keys.ts';
import type { RedisKeys } from './redis-keys.ts';
import { readRedisParams } from './redis-params.ts';
import type { RedisParams } from './redis-params.ts';
import { APPEND_SCRIPT, JOURNAL_PAGE_SCRIPT, LOAD_HEAD_SCRIPT } from './redis-scripts.ts';
import { readRedisSnapshot, REDIS_SNAPSHOT_FORMAT, writeRedisSnapshot } from './redis-snapshot.ts';
import type { RedisSnapshotContext, RedisSnapshotMeta, RedisSnapshotStep } from './redis-snapshot.ts';
import { parseRedisUrl } from './redis-url.ts';

const MiB = 1024 * 1024;

export interface RedisMetadataStoreOptions {
  /** redis://, rediss:// or redis+sentinel:// URL; parameters as in redis-params.ts. */
  readonly url: string;
  /** The controller epoch this store writes with (the election lease's): every write is refused once the epoch key differs. */
  readonly epoch: number;
  /** Settings from code instead of URL parameters (the same one in both is an error). */
  readonly params?: Partial<RedisParams>;
  /** TLS settings for rediss:// (CA, client certificate, ...). */
  readonly tls?: ConnectionOptions;
  readonly sentinelUsername?: string;
  readonly sentinelPassword?: string;
  /** Most entries (extents, offsets, ...) per snapshot section. Default 1,000. */
  readonly sectionEntries?: number;
  /** Most values (journal entries, snapshot chunks) read per round trip on load. Default 1,024. */
  readonly readPageValues?: number;
  /** Most journal bytes read per round trip on load (at least one entry is read; snapshot pages are snapshotChunkBytes). Default 4 MiB. */
  readonly readPageBytes?: number;
  /** Most queued batches sent as one group (pipelined, then one WAIT). Default 1,024. */
  readonly maxGroupBatches?: number;
  /** First delay before reconnecting after a lost connection (doubling). Default 100 ms. */
  readonly reconnectMinMs?: number;
  /** Longest delay between reconnection attempts. Default 2,000 ms. */
  readonly reconnectMaxMs?: number;
  /** How to let other work run between snapshot chunks. Default: one setImmediate turn. */
  readonly yieldToEventLoop?: () => Promise<void>;
  /** Tests only: awaited before each snapshot step, so a test can stop the store between steps. */
  readonly beforeSnapshotStep?: (step: RedisSnapshotStep) => Promise<void>;
}

interface PendingAppend {
  readonly entries: readonly Buffer[];
  readonly firstSeq: number;
  readonly resolve: (seq: number) => void;
  readonly reject: (err: Error) => void;
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function intOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`RedisMetadataStore option ${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  return v;
}

export class RedisMetadataStore implements MetadataStore {
  readonly url: string;
  readonly epoch: number;
  private readonly conn: RedisConnection;
  private readonly keys: RedisKeys;
  private readonly params: RedisParams;
  private readonly maxGroupBatches: number;
  private readonly snapshotContext: RedisSnapshotContext;
  private loaded = false;
  private closed = false;
  private nextSeq = 0;
  private current: RedisSnapshotMeta | null = null;
  private queue: PendingAppend[] = [];
  private draining: Promise<void> | undefined;
  private snapshotChain: Promise<void> = Promise.resolve();
  private journalBytes = 0;
  private journalBatches = 0;
  /** The first append failure; every later append fails with it (see the store contract). */
  private failure: Error | undefined;

  private constructor(conn: RedisConnection, keys: RedisKeys, params: RedisParams, options: RedisMetadataStoreOptions) {
    this.url = conn.url;
    this.epoch = options.epoch;
    this.conn = conn;
    this.keys = keys;
    this.params = params;
    this.maxGroupBatches = intOption('maxGroupBatches', options.maxGroupBatches, 1024, 1, 1_000_000);
    const hook = options.beforeSnapshotStep;
    this.snapshotContext = {
      conn,
      keys,
      epoch: options.epoch,
      maxValueBytes: params.maxValueBytes,
      chunkBytes: params.snapshotChunkBytes,
      sectionEntries: intOption('sectionEntries', options.sectionEntries, SNAPSHOT_SECTION_ENTRIES, 1, 1_000_000),
      readPageValues: intOption('readPageValues', options.readPageValues, 1024, 1, 1_000_000),
      readPageBytes: intOption('readPageBytes', options.readPageBytes, 4 * MiB, 1, 1024 * MiB),
      yieldToEventLoop: options.yieldToEventLoop ?? immediate,
      beforeStep: hook ?? (() => Promise.resolve()),
      fail: (err, what) => this.storeError(err, what),
      replicate: () => this.replicate(),
    };
  }

  /** Connects (failing clearly when Redis is unreachable); load() reads nothing before it is called. */
  static async open(options: RedisMetadataStoreOptions): Promise<RedisMetadataStore> {
    if (!Number.isSafeInteger(options.epoch) || options.epoch < 0) throw new RangeError(`RedisMetadataStore epoch must be a non-negative integer, got ${String(options.epoch)}`);
    const target = parseRedisUrl(options.url);
    const params = readRedisParams(target, options.params);
    const keys = redisKeys(params.prefix);
    // Checked before connecting, so a bad option leaves no connection behind.
    intOption('maxGroupBatches', options.maxGroupBatches, 1024, 1, 1_000_000);
    const conn = await connectRedis(target, {
      connectTimeoutMs: params.connectTimeoutMs,
      commandTimeoutMs: params.commandTimeoutMs,
      reconnectMinMs: intOption('reconnectMinMs', options.reconnectMinMs, 100, 1, 600_000),
      reconnectMaxMs: intOption('reconnectMaxMs', options.reconnectMaxMs, 2000, 1, 600_000),
      connectionName: `stratus-controller-store-e${options.epoch}`,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      ...(options.sentinelUsername !== undefined ? { sentinelUsername: options.sentinelUsername } : {}),
      ...(options.sentinelPassword !== undefined ? { sentinelPassword: options.sentinelPassword } : {}),
    });
    try {
      return new RedisMetadataStore(conn, keys, params, options);
    } catch (err) {
      await conn.close();
      throw err;
    }
  }

  async load(): Promise<LoadedMetadata> {
    if (this.loaded) throw new MetadataStoreError('load() may be called once, before any append');
    this.loaded = true;
    const k = this.keys;
    const head = (await this.conn.evalScript(LOAD_HEAD_SCRIPT, [k.epoch, k.snapshot, k.journalBase, k.journal], []).catch((err: unknown) => {
      throw this.storeError(err, 'loading');
    })) as (string | null)[];
    const [epochText, id, upToSeq, chunks, bytes, crc, format, baseText, lengthText] = head;
    this.checkEpoch(Number(epochText));
    if (id !== null && id !== undefined) {
      if (Number(format) !== REDIS_SNAPSHOT_FORMAT) throw new MetadataStoreError(`snapshot ${id} in ${this.url} has format ${format}, this version reads ${REDIS_SNAPSHOT_FORMAT}`);
      this.current = { id, upToSeq: Number(upToSeq), chunks: Number(chunks), bytes: Number(bytes), crc: Number(crc) };
    }
    const base = Number(baseText);
    const length = Number(lengthText);
    const fromSeq = this.current === null ? 0 : this.current.upToSeq + 1;
    // The switch script moves the base and the snapshot together; a mismatch means the
    // keys were changed by hand or restored in part.
    if (base !== fromSeq) {
      throw new MetadataStoreError(
        `journal in ${this.url} starts at batch ${base}, but ${this.current === null ? 'there is no snapshot' : `the snapshot covers up to ${this.current.upToSeq}`}: batches are missing`,
      );
    }
    this.nextSeq = base + length;
    const snapshot = this.current === null ? null : { upToSeq: this.current.upToSeq, sections: readRedisSnapshot(this.snapshotContext, this.current) };
    return { snapshot, batches: this.replay(base, base + length), notes: [] };
  }

  private async *replay(fromSeq: number, endSeq: number): AsyncIterable<JournalBatch> {
    const c = this.snapshotContext;
    for (let seq = fromSeq; seq < endSeq; ) {
      const page = (await this.conn.callBuffer('EVAL', JOURNAL_PAGE_SCRIPT, 2, this.keys.journal, this.keys.journalBase, seq, Math.min(c.readPageValues, endSeq - seq), c.readPageBytes).catch((err: unknown) => {
        throw this.storeError(err, 'reading the journal');
      })) as Buffer[];
      const base = Number(page[0]!.toString());
      if (base > seq) throw new MetadataStoreError(`journal in ${this.url} was trimmed past batch ${seq} while loading (did another controller take a snapshot?)`);
      if (page.length === 1) throw new MetadataStoreError(`journal in ${this.url} ends before batch ${seq}, which it held when loading began`);
      for (const entry of page.slice(1)) {
        this.journalBytes += entry.length;
        this.journalBatches++;
        yield { seq, records: decodeRecords(entry) };
        seq++;
      }
    }
  }

  append(records: readonly MetadataRecord[]): Promise<number> {
    if (this.closed) return Promise.reject(new MetadataStoreError(`metadata store ${this.url} is closed`));
    if (this.failure !== undefined) return Promise.reject(this.failedEarlier());
    if (!this.loaded) return Promise.reject(new MetadataStoreError('append before load(): the store does not know where the journal ends'));
    let entries: Buffer[];
    try {
      entries = this.encode(records);
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      return Promise.reject(this.failure);
    }
    const firstSeq = this.nextSeq;
    this.nextSeq += entries.length;
    for (const e of entries) this.journalBytes += e.length;
    this.journalBatches++;
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ entries, firstSeq, resolve, reject });
      this.kick();
    });
  }

  /** Starts draining unless a drain runs; a batch queued as a drain ends (its callers resumed first) starts the next. */
  private kick(): void {
    if (this.draining !== undefined) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Sends queued batches group by group until the queue is empty. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.splice(0, this.maxGroupBatches);
      if (this.failure !== undefined) {
        for (const p of group) p.reject(this.failedEarlier());
        continue;
      }
      const k = this.keys;
      const results = await Promise.allSettled(group.map((p) => this.conn.evalScript(APPEND_SCRIPT, [k.epoch, k.journal, k.journalBase], [this.epoch, p.firstSeq, ...p.entries])));
      let firstFailed = results.findIndex((r) => r.status === 'rejected');
      if (firstFailed < 0) firstFailed = group.length;
      let error: Error | undefined;
      if (firstFailed < group.length) error = this.storeError((results[firstFailed] as PromiseRejectedResult).reason, 'append');
      let waitError: Error | undefined;
      if (firstFailed > 0) await this.replicate().catch((err: unknown) => (waitError = err as Error));
      this.failure ??= waitError ?? error;
      group.forEach((p, i) => {
        if (i < firstFailed && waitError === undefined) p.resolve(p.firstSeq + p.entries.length - 1);
        else if (i < firstFailed) p.reject(waitError!);
        else if (i === firstFailed) p.reject(error!);
        else p.reject(this.failedEarlier());
      });
    }
  }

  /** WAIT for the configured replicas to acknowledge every write made so far on this connection. */
  private async replicate(): Promise<void> {
    const { wait, waitTimeoutMs } = this.params;
    if (wait === 0) return;
    const acked = Number(
      await this.conn.call('WAIT', wait, waitTimeoutMs).catch((err: unknown) => {
        throw this.storeError(err, 'WAIT');
      }),
    );
    if (acked < wait) {
      throw new MetadataStoreError(
        `metadata store ${this.url}: only ${acked} of ${wait} replica(s) acknowledged the write within ${waitTimeoutMs} ms (WAIT); it is on the Redis master but not known to be replicated, so it is not acknowledged`,
      );
    }
  }

  /** One journal entry, or several split at record boundaries when the batch is larger than a value may be. */
  private encode(records: readonly MetadataRecord[]): Buffer[] {
    if (records.length === 0) throw new MetadataStoreError('append needs at least one record');
    const max = this.params.maxValueBytes;
    const whole = encodeRecords(records);
    if (whole.length <= max) return [whole];
    const entries: Buffer[] = [];
    let group: MetadataRecord[] = [];
    let groupBytes = 0;
    for (const r of records) {
      const one = encodeRecords([r]);
      if (one.length > max) throw new MetadataStoreError(`a ${r.type} record of ${one.length} bytes exceeds the Redis value limit of ${max} bytes (maxValueBytes)`);
      if (group.length > 0 && groupBytes + one.length > max) {
        entries.push(encodeRecords(group));
        group = [];
        groupBytes = 0;
      }
      group.push(r);
      groupBytes += one.length;
    }
    entries.push(encodeRecords(group));
    return entries;
  }

  snapshot(source: SnapshotSource, upToSeq: number): Promise<void> {
    if (this.closed) return Promise.reject(new MetadataStoreError(`metadata store ${this.url} is closed`));
    // What the snapshot lets go is what was appended up to now: later appends stay counted.
    const bytesCovered = this.journalBytes;
    const batchesCovered = this.journalBatches;
    const run = this.snapshotChain.then(async () => {
      if (!this.loaded) throw new MetadataStoreError('snapshot before load()');
      if (this.current !== null && upToSeq <= this.current.upToSeq) return;
      if (upToSeq >= this.nextSeq) throw new MetadataStoreError(`snapshot up to batch ${upToSeq}, but the journal ends at ${this.nextSeq - 1}`);
      await writeRedisSnapshot(this.snapshotContext, source, upToSeq, this.current, (meta) => {
        this.current = meta;
        this.journalBytes = Math.max(0, this.journalBytes - bytesCovered);
        this.journalBatches = Math.max(0, this.journalBatches - batchesCovered);
      });
    });
    this.snapshotChain = run.catch(() => undefined);
    return run;
  }

  stats(): MetadataStoreStats {
    return { journalBytes: this.journalBytes, journalBatches: this.journalBatches };
  }

  /** Waits for pending appends and the snapshot in progress, then closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.draining !== undefined) await this.draining;
    await this.snapshotChain;
    await this.conn.close();
  }

  private failedEarlier(): MetadataStoreError {
    const f = this.failure!;
    if (f instanceof FencedError) return f;
    return new MetadataStoreError(`metadata store ${this.url} failed earlier: ${f.message}`, { cause: f });
  }

  private checkEpoch(current: number): void {
    if (current === this.epoch) return;
    if (current > this.epoch) throw new FencedError(this.epoch, current, this.url);
    throw new MetadataStoreError(
      `metadata store ${this.url}: the controller epoch in Redis is ${current}, below this controller's ${this.epoch}: Redis lost acknowledged writes (restored from an old copy, or failed over to a replica that missed them)`,
    );
  }

  /** Redis failures as store errors: a script's refusal by its code, the rest with the connection's explanation. */
  private storeError(err: unknown, what: string): Error {
    if (err instanceof RedisCommandError && err.kind === 'reply' && err.reply?.startsWith('STRATUS_')) {
      const [code, ...rest] = err.reply.split(' ');
      if (code === 'STRATUS_FENCED') {
        try {
          this.checkEpoch(Number(rest[0]));
        } catch (fenced) {
          return fenced as Error;
        }
      }
      if (code === 'STRATUS_SEQUENCE') {
        return new MetadataStoreError(`${what} to ${this.url} refused: the journal's next batch is ${rest[0]}, not what this store expected: another writer changed it, or an earlier append was lost`, { cause: err });
      }
      return new MetadataStoreError(`${what} in ${this.url} refused: ${err.reply}`, { cause: err });
    }
    if (err instanceof RedisCommandError) return new MetadataStoreError(`${what}: ${err.message}`, { cause: err });
    return err instanceof Error ? err : new Error(String(err));
  }
}
