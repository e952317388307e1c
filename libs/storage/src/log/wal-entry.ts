// How a partition's batch is framed inside a WAL record. The batch itself is written as
// a second chunk, so appending costs no copy of the client's bytes.
//
//   version u8 (1) | durability u8 (0 local, 1 object) | topicId 16 | partition i32 |
//   leaderEpoch i32 | batch (Kafka RecordBatch v2, offsets already assigned)
//   = 1 + 1 + 16 + 4 + 4 = 26 header bytes

import { WAL_ENTRY_HEADER_BYTES } from '@stratus/partition-index';
import type { Durability } from '@stratus/partition-index';

// The header's size is declared beside the batch limit it bounds (the controller checks
// that limit too); this file is its layout.
export { WAL_ENTRY_HEADER_BYTES };
export const WAL_ENTRY_VERSION = 1;

export interface WalEntry {
  readonly topicId: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly durability: Durability;
  readonly batch: Buffer;
}

export function encodeWalEntryHeader(topicId: string, partition: number, leaderEpoch: number, durability: Durability): Buffer {
  const h = Buffer.allocUnsafe(WAL_ENTRY_HEADER_BYTES);
  h[0] = WAL_ENTRY_VERSION;
  h[1] = durability === 'object' ? 1 : 0;
  if (h.write(topicId, 2, 16, 'base64url') !== 16) throw new Error(`topic id ${topicId} is not 16 bytes of base64url`);
  h.writeInt32BE(partition, 18);
  h.writeInt32BE(leaderEpoch, 22);
  return h;
}

export function decodeWalEntry(data: Buffer): WalEntry {
  if (data.length < WAL_ENTRY_HEADER_BYTES + 61) throw new Error(`WAL entry of ${data.length} bytes is too short`);
  if (data[0] !== WAL_ENTRY_VERSION) throw new Error(`unknown WAL entry version ${data[0]}`);
  return {
    durability: data[1] === 1 ? 'object' : 'local',
    topicId: data.toString('base64url', 2, 18),
    partition: data.readInt32BE(18),
    leaderEpoch: data.readInt32BE(22),
    batch: data.subarray(WAL_ENTRY_HEADER_BYTES),
  };
}
