// Public entry of @stratus/stream-set: the format of the objects Stratus writes, one
// object holding batches of many partitions. A pure format over an ObjectStore, apart
// from the storage engine, because two sides write it: brokers' uploads
// (@stratus/storage) and the controller's object compaction.

export { buildStreamSet } from './writer.ts';
export type { StreamSetBatch, BuiltStreamSet } from './writer.ts';
export { readStreamSetIndex, parseFooter, parseIndex, StreamSetFormatError } from './reader.ts';
export type { Footer } from './reader.ts';
export * from './format.ts';
