// Where acknowledged data goes that no object will ever hold: a local-durability batch
// was acknowledged after the WAL's fsync, then its commit was rejected (the leader epoch
// was fenced, the topic deleted, the commit refused). The WAL would be trimmed past it,
// so it is written out first — one file per batch, named by partition and offsets, the
// Kafka RecordBatch bytes as they were stored (readable with @stratus/protocol's
// readRecords) — for an operator to inspect or re-produce. Nothing reads it back.

import { join } from 'node:path';
import type { FileSystem } from '@stratus/wal';
import type { UploadEntry } from './uploader.ts';

/** A keepRejected function (UploaderOptions) writing under `dir` through `fs`. */
export function rejectedBatchFiles(fs: FileSystem, dir: string): (entries: readonly UploadEntry[], reason: string) => Promise<void> {
  return async (entries, reason) => {
    await fs.mkdir(dir);
    for (const e of entries) {
      const file = await fs.open(join(dir, `${e.topicId}-${e.partition}-${e.baseOffset}-${e.lastOffset}.batch`), 'overwrite');
      try {
        const written = await file.writev([e.batch], 0);
        if (written !== e.batch.length) throw new Error(`short write keeping a rejected batch (${written} of ${e.batch.length} bytes)`);
        await file.datasync();
      } finally {
        await file.close();
      }
    }
    const note = await fs.open(join(dir, `${entries[0]!.topicId}-${entries[0]!.partition}-${entries[0]!.baseOffset}.why`), 'overwrite');
    try {
      const text = Buffer.from(`${reason}\n`);
      await note.writev([text], 0);
      await note.datasync();
    } finally {
      await note.close();
    }
    await fs.syncDir(dir);
  };
}
