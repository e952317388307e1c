// Snapshots of the Redis metadata store: written in chunks under a new snapshot id, then
// switched to in one atomic script; read back chunk page by chunk page. The switch
// (SNAPSHOT_SWITCH_SCRIPT) is the only step that changes what load() sees, so a crash or
// a failure anywhere before it leaves the previous snapshot and the whole journal, and
// after it the new snapshot and the journal after it.
//
// Steps, each preceded by the test hook `beforeStep` (tests stop the store there):
//   begin      SNAPSHOT_BEGIN: new id, marked pending; ids left pending by earlier
//              attempts (a crash) are dropped with their chunks
//   chunk      SNAPSHOT_CHUNK per chunk: sections encoded as JSON lines (the file
//              store's payload, snapshot-lines.ts) at the store's own pace, yielding to
//              the event loop between chunks; a chunk larger than maxValueBytes is cut
//              into several values (the reader joins them back into one byte stream)
//   switch     SNAPSHOT_SWITCH: point `snapshot` at the new id, trim the journal, delete
//              the old chunks
//   replicate  WAIT for the configured replicas, when there are any
// The payload's length and CRC-32C are kept in the snapshot hash and checked on load.

import { crc32c } from '@stratus/protocol';
import type { SnapshotSection, SnapshotSource } from '../state/snapshot-sections.ts';
import { MetadataStoreError } from './metadata-store.ts';
import type { RedisConnection } from './redis-connection.ts';
import type { RedisKeys } from './redis-keys.ts';
import { LIST_PAGE_SCRIPT, SNAPSHOT_BEGIN_SCRIPT, SNAPSHOT_CHUNK_SCRIPT, SNAPSHOT_DROP_SCRIPT, SNAPSHOT_SWITCH_SCRIPT } from './redis-scripts.ts';
import { SectionLineDecoder, writeSectionLines } from './snapshot-lines.ts';

/** Payload format of Redis snapshots: JSON lines of SnapshotSections (SNAPSHOT_SECTIONS_VERSION inside). */
export const REDIS_SNAPSHOT_FORMAT = 1;

export type RedisSnapshotStep = 'begin' | 'chunk' | 'switch' | 'replicate';

/** The current snapshot as the snapshot hash describes it. */
export interface RedisSnapshotMeta {
  readonly id: string;
  readonly upToSeq: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly crc: number;
}

export interface RedisSnapshotContext {
  readonly conn: RedisConnection;
  readonly keys: RedisKeys;
  readonly epoch: number;
  readonly maxValueBytes: number;
  readonly chunkBytes: number;
  readonly sectionEntries: number;
  readonly readPageValues: number;
  readonly readPageBytes: number;
  readonly yieldToEventLoop: () => Promise<void>;
  readonly beforeStep: (step: RedisSnapshotStep) => Promise<void>;
  /** Maps a Redis failure to the store's error (fencing, ...). */
  readonly fail: (err: unknown, what: string) => Error;
  /** WAIT for the configured replicas (a no-op without). */
  readonly replicate: () => Promise<void>;
}

/**
 * Writes `source` as a new snapshot covering batches up to `upToSeq` and switches to it,
 * replacing `previous` (null: none yet). Resolves with the new snapshot's meta once it is
 * current (and replicated). `onSwitched` runs right after the switch, before replication:
 * from then on the new snapshot is current on the master whatever WAIT says.
 */
export async function writeRedisSnapshot(
  c: RedisSnapshotContext,
  source: SnapshotSource,
  upToSeq: number,
  previous: RedisSnapshotMeta | null,
  onSwitched: (meta: RedisSnapshotMeta) => void,
): Promise<RedisSnapshotMeta> {
  const { conn, keys } = c;
  await c.beforeStep('begin');
  const begun = (await conn.evalScript(SNAPSHOT_BEGIN_SCRIPT, [keys.epoch, keys.snapshotNextId, keys.snapshotPending], [c.epoch]).catch((err: unknown) => {
    throw c.fail(err, 'starting a snapshot');
  })) as string[];
  const id = begun[0]!;
  for (const stale of begun.slice(1)) await dropSnapshot(c, stale);
  let switched = false;
  try {
    let chunks = 0;
    const chunkKey = keys.snapshotChunks(id);
    const payload = await writeSectionLines(
      source.sections(c.sectionEntries),
      async (chunk) => {
        for (let at = 0; at < chunk.length; at += c.maxValueBytes) {
          await c.beforeStep('chunk');
          const value = chunk.subarray(at, Math.min(chunk.length, at + c.maxValueBytes));
          await conn.evalScript(SNAPSHOT_CHUNK_SCRIPT, [keys.epoch, keys.snapshotPending, chunkKey], [c.epoch, id, value]).catch((err: unknown) => {
            throw c.fail(err, `writing snapshot ${id}`);
          });
          chunks++;
        }
      },
      { chunkBytes: c.chunkBytes, yieldToEventLoop: c.yieldToEventLoop },
    );
    const meta: RedisSnapshotMeta = { id, upToSeq, chunks, bytes: payload.bytes, crc: payload.crc };
    await c.beforeStep('switch');
    await conn
      .evalScript(
        SNAPSHOT_SWITCH_SCRIPT,
        [keys.epoch, keys.snapshot, keys.snapshotPending, chunkKey, previous === null ? chunkKey : keys.snapshotChunks(previous.id), keys.journal, keys.journalBase],
        [c.epoch, id, upToSeq, chunks, payload.bytes, payload.crc, REDIS_SNAPSHOT_FORMAT, previous?.id ?? ''],
      )
      .catch((err: unknown) => {
        throw c.fail(err, `switching to snapshot ${id}`);
      });
    switched = true;
    onSwitched(meta);
    await c.beforeStep('replicate');
    await c.replicate();
    return meta;
  } catch (err) {
    // Best effort: a snapshot that never became current is garbage; the next one drops it
    // anyway if this fails (it stays in the pending set).
    if (!switched) await dropSnapshot(c, id).catch(() => undefined);
    throw err;
  }
}

async function dropSnapshot(c: RedisSnapshotContext, id: string): Promise<void> {
  await c.conn.evalScript(SNAPSHOT_DROP_SCRIPT, [c.keys.snapshotPending, c.keys.snapshotChunks(id)], [id]).catch((err: unknown) => {
    throw c.fail(err, `dropping the unfinished snapshot ${id}`);
  });
}

/**
 * The sections of snapshot `meta`, read a page of chunks at a time as the consumer asks:
 * pages of about `chunkBytes` (at least one value), with the event loop free between
 * pages, as they were written. Checks the chunk count, length and CRC-32C the switch
 * recorded; fails clearly when the chunks vanish meanwhile (another controller switched
 * snapshots).
 */
export async function* readRedisSnapshot(c: Pick<RedisSnapshotContext, 'conn' | 'keys' | 'readPageValues' | 'chunkBytes' | 'yieldToEventLoop'>, meta: RedisSnapshotMeta): AsyncIterable<SnapshotSection> {
  const name = `${meta.id} in ${c.conn.url}`;
  const decoder = new SectionLineDecoder(name);
  const key = c.keys.snapshotChunks(meta.id);
  let crc = 0;
  let bytes = 0;
  let index = 0;
  while (index < meta.chunks) {
    if (index > 0) await c.yieldToEventLoop();
    const page = (await c.conn.callBuffer('EVAL', LIST_PAGE_SCRIPT, 1, key, index, Math.min(c.readPageValues, meta.chunks - index), c.chunkBytes).catch((err: unknown) => {
      throw new MetadataStoreError(`reading snapshot ${name}: ${(err as Error).message}`, { cause: err });
    })) as Buffer[];
    if (page.length === 0) throw new MetadataStoreError(`snapshot ${name} has ${index} of its ${meta.chunks} chunks: it was removed while loading (did another controller take over?)`);
    for (const block of page) {
      crc = crc32c(block, crc);
      bytes += block.length;
      yield* decoder.push(block);
    }
    index += page.length;
  }
  decoder.end();
  if (bytes !== meta.bytes || crc !== meta.crc) {
    throw new MetadataStoreError(`snapshot ${name} is unreadable: ${bytes} bytes with CRC-32C ${crc}, but it was written as ${meta.bytes} bytes with ${meta.crc}`);
  }
}
