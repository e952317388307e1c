// The unit of the partition index: a run of one partition's batches, contiguous in
// offsets, stored contiguously inside one object. Readers need only an extent to find
// bytes (object key, position, length), never the object's own index.

export interface TopicPartition {
  /** Topic id in Kafka's textual form (22-character URL-safe base64). */
  readonly topicId: string;
  readonly partition: number;
}

export interface Extent extends TopicPartition {
  readonly objectKey: string;
  /** Size of the whole object, so readers can align block reads without a HEAD. */
  readonly objectSize: number;
  readonly baseOffset: number;
  /** Inclusive. */
  readonly lastOffset: number;
  /** Byte position of the first batch in the object. */
  readonly position: number;
  /** Bytes of the extent (sum of its batches). */
  readonly length: number;
  readonly maxTimestamp: number;
  /** Leader epoch under which the data was written; commits from older epochs are fenced. */
  readonly leaderEpoch: number;
}

/**
 * The extent's own fields and nothing else: an extent that came with more (a wire message,
 * a merge record) is stored or sent without what it carried besides.
 */
export function copyExtent(e: Extent): Extent {
  return {
    topicId: e.topicId,
    partition: e.partition,
    objectKey: e.objectKey,
    objectSize: e.objectSize,
    baseOffset: e.baseOffset,
    lastOffset: e.lastOffset,
    position: e.position,
    length: e.length,
    maxTimestamp: e.maxTimestamp,
    leaderEpoch: e.leaderEpoch,
  };
}

export function partitionKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

export type Durability = 'local' | 'object';
