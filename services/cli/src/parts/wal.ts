// Opens a broker's write-ahead log from its config (dev and broker): recovery, the
// damage policy, and the check that message.max.bytes fits the largest batch the
// storage holds. A failure that an operator must look at is one log line and an exit
// code, not a stack trace.

import { maxBatchBytes } from '@stratus/storage';
import { openWal, WalCorruptionError } from '@stratus/wal';
import type { WriteAheadLog } from '@stratus/wal';
import type { StratusConfig } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { walFlushMetrics } from '../metrics.ts';

export type OpenedWal = { readonly wal: WriteAheadLog; readonly flushMetrics: ReturnType<typeof walFlushMetrics>; readonly maxBatchBytes: number };

/** The opened WAL, or the exit code to stop with (the reason is logged). */
export async function openConfiguredWal(config: Pick<StratusConfig, 'wal' | 'storage' | 'topics'>, walDir: string, log: Logger): Promise<OpenedWal | number> {
  const flushMetrics = walFlushMetrics();
  let opened;
  try {
    opened = await openWal({
      dir: walDir,
      segmentBytes: config.wal.segmentBytes,
      flushMaxBytes: config.wal.flushMaxBytes,
      flushMaxDelayMs: config.wal.flushMaxDelay,
      syncWrites: config.wal.syncWrites,
      onFlush: flushMetrics.observe,
      capacityBytes: config.wal.capacityBytes,
      onDamage: config.wal.recover,
    });
  } catch (e) {
    if (!(e instanceof WalCorruptionError)) throw e;
    // Not a crash's torn tail: acknowledged data may sit after the damage. An operator decides.
    log.fatal(e.message);
    return 3;
  }
  const { wal, recovery: walRecovery } = opened;
  if (walRecovery.quarantine !== undefined) log.error({ walRecovery }, `WAL: cut at damage; the records after it are in ${walRecovery.quarantine.dir}`);
  else if (walRecovery.truncatedBytes > 0) log.warn({ walRecovery }, 'WAL: a torn tail was cut during recovery');
  // The largest batch the storage holds bounds message.max.bytes and every max.message.bytes.
  const storageMaxBatchBytes = maxBatchBytes({ walMaxRecordBytes: wal.maxRecordBytes, pendingBytes: config.storage.pendingBytes });
  if (config.topics.maxMessageBytes > storageMaxBatchBytes) {
    log.error(
      `topics.maxMessageBytes (message.max.bytes) ${config.topics.maxMessageBytes} exceeds ${storageMaxBatchBytes}, the largest record batch this broker's storage holds: lower it, or raise wal.segmentBytes and storage.pendingBytes`,
    );
    await wal.close();
    return 2;
  }
  return { wal, flushMetrics, maxBatchBytes: storageMaxBatchBytes };
}
