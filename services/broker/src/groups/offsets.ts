// Helpers the offset handlers (OffsetCommit, OffsetFetch, OffsetDelete) share: topic
// name ↔ id resolution over one catalog snapshot and the limits Kafka applies to
// commits. The controller keys committed offsets by topic id; clients speak names.

import { partitionKey } from '@stratus/storage';
import type { CommittedOffset, TopicInfo } from '@stratus/controller';
import type { TopicCatalog } from '../broker-context.ts';

/** offset.metadata.max.bytes (Kafka's default; Kafka compares the string's length). */
export const OFFSET_METADATA_MAX_CHARS = 4096;

export { partitionKey };

export function partitionExists(topic: TopicInfo, partition: number): boolean {
  // Partitions are normally listed in order, so the direct index is tried first.
  if (topic.partitions[partition]?.partition === partition) return true;
  return topic.partitions.some((p) => p.partition === partition);
}

/** The topic id of an existing partition, or undefined (UNKNOWN_TOPIC_OR_PARTITION). */
export function resolvePartition(catalog: TopicCatalog, topicName: string, partition: number): string | undefined {
  const topic = catalog.topic(topicName);
  return topic !== undefined && partitionExists(topic, partition) ? topic.topicId : undefined;
}

export interface NamedOffset {
  readonly partition: number;
  readonly offset: CommittedOffset;
}

/**
 * Groups a controller answer (keyed `topicId:partition`) by topic name, partitions in
 * order. Offsets of topics that no longer exist are left out.
 */
export function offsetsByTopicName(catalog: TopicCatalog, offsets: ReadonlyMap<string, CommittedOffset>): Map<string, NamedOffset[]> {
  const byName = new Map<string, NamedOffset[]>();
  for (const [key, offset] of offsets) {
    const colon = key.lastIndexOf(':');
    const topic = catalog.topicById(key.slice(0, colon));
    const partition = Number(key.slice(colon + 1));
    if (topic === undefined || colon < 0 || !Number.isInteger(partition)) continue;
    let list = byName.get(topic.name);
    if (list === undefined) byName.set(topic.name, (list = []));
    list.push({ partition, offset });
  }
  for (const list of byName.values()) list.sort((a, b) => a.partition - b.partition);
  return byName;
}
