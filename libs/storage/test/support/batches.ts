// Test helpers: real Kafka record batches with offsets assigned, as a partition log
// would hold them.

import { buildRecordBatch } from '@stratus/protocol';

export const TOPIC_A = Buffer.alloc(16, 1).toString('base64url');
export const TOPIC_B = Buffer.alloc(16, 2).toString('base64url');

export function batchAt(baseOffset: number, records: number, valueBytes = 16, timestamp = 1_700_000_000_000): Buffer {
  const value = Buffer.alloc(valueBytes, baseOffset % 251);
  return buildRecordBatch({
    baseOffset,
    baseTimestamp: timestamp,
    records: Array.from({ length: records }, (_, i) => ({ key: `k${baseOffset + i}`, value, timestamp: timestamp + i })),
  });
}
