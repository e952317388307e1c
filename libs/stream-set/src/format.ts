// Stream-set object format, version 1. One object holds data of many partitions, so the
// number of PUTs does not grow with the number of partitions.
//
//   header   8 bytes   magic u32 "SSO1" (0x53534f31) | version u16 (1) | flags u16 (0)
//   data     N bytes   Kafka RecordBatch v2 bytes, grouped by partition: each partition's
//                      batches back to back in offset order (one or more runs)
//   index    60 × n    per run: topicId 16 | partition i32 | baseOffset i64 |
//                      lastOffset i64 | position i64 | length u32 | maxTimestamp i64 |
//                      leaderEpoch i32            = 16+4+8+8+8+4+8+4 = 60 bytes
//            plus a count u32 in front: index bytes = 4 + 60 × n
//   footer   24 bytes  indexPosition i64 | indexLength u32 | indexCrc32c u32 |
//                      version u16 | reserved u16 | magic u32
//
// All integers big-endian. The index CRC-32C covers the index bytes (count included);
// record data is covered by each batch's own CRC. Readers of data use extents from the
// partition index (position, length) and never need the object index; the index and
// footer serve recovery, compaction and garbage collection.

export const STREAM_SET_MAGIC = 0x53534f31;
export const STREAM_SET_VERSION = 1;
export const HEADER_BYTES = 8;
export const INDEX_ENTRY_BYTES = 60;
export const FOOTER_BYTES = 24;
