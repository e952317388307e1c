// Reads back what a real client produced to the capture broker: every record batch of
// a topic's captured Produce requests, run through the broker-side validator
// (framing, CRC-32C, attributes) and then decoded record by record. Failures are
// collected as strings so a test can show all of them at once.

import { ApiKey } from '@stratus/protocol';
import { readRecords, validateRecordBatches } from '../../src/records/index.ts';
import type { BatchInfo } from '../../src/records/index.ts';
import type { CaptureBroker } from './capture-broker.ts';

export interface ProducedBatch {
  readonly info: BatchInfo;
  /** The batch's raw attributes (compression in bits 0-2). */
  readonly attributes: number;
  readonly produceVersion: number;
  readonly acks: number;
}

export interface ProducedRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<readonly [string, string | null]>;
}

export interface Produced {
  readonly batches: ProducedBatch[];
  readonly records: ProducedRecord[];
  readonly problems: string[];
}

const MAX_BATCH_BYTES = 1024 * 1024;
const MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

export function producedTo(broker: CaptureBroker, topic: string): Produced {
  const batches: ProducedBatch[] = [];
  const records: ProducedRecord[] = [];
  const problems: string[] = [];
  for (const req of broker.requestsOf(ApiKey.Produce)) {
    for (const t of req.body.topicData) {
      if (t.name !== topic) continue;
      for (const p of t.partitionData) {
        const where = `Produce v${req.header.apiVersion} ${t.name}/${p.index}`;
        if (p.records === null) {
          problems.push(`${where}: records is null`);
          continue;
        }
        const validated = validateRecordBatches(p.records, { maxBatchBytes: MAX_BATCH_BYTES });
        if (!validated.ok) {
          problems.push(`${where}: ${validated.error.kind}: ${validated.error.message} (records ${p.records.toString('hex')})`);
          continue;
        }
        for (const info of validated.batches) {
          const bytes = p.records.subarray(info.position, info.position + info.size);
          batches.push({ info, attributes: bytes.readInt16BE(21), produceVersion: req.header.apiVersion, acks: req.body.acks });
          const read = readRecords(bytes, MAX_DECOMPRESSED_BYTES);
          if (!read.ok) {
            problems.push(`${where} batch at ${info.position}: ${read.error.kind}: ${read.error.message} (batch ${bytes.toString('hex')})`);
            continue;
          }
          if (read.records.length !== info.recordCount) {
            problems.push(`${where}: batch says ${info.recordCount} records, ${read.records.length} decoded`);
          }
          for (const r of read.records) {
            records.push({
              key: r.key === null ? null : r.key.toString('utf8'),
              value: r.value === null ? null : r.value.toString('utf8'),
              headers: r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('utf8')] as const),
            });
          }
        }
      }
    }
  }
  return { batches, records, problems };
}
