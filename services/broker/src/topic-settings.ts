// The topic configs the broker's data path reads, with Kafka's defaults. The controller
// owns the full config schema and validation; a topic's `configs` hold only what was set.

import type { TopicInfo } from '@stratus/controller';
import type { Durability } from '@stratus/storage';

export interface TopicSettings {
  /** max.message.bytes: the largest record batch the topic accepts. */
  readonly maxMessageBytes: number;
  readonly logAppendTime: boolean;
  readonly durability: Durability;
}

const DEFAULT_MAX_MESSAGE_BYTES = 1048588;

export function topicSettings(topic: TopicInfo): TopicSettings {
  const c = topic.configs;
  const max = Number(c['max.message.bytes'] ?? DEFAULT_MAX_MESSAGE_BYTES);
  return {
    maxMessageBytes: Number.isFinite(max) && max > 0 ? max : DEFAULT_MAX_MESSAGE_BYTES,
    logAppendTime: c['message.timestamp.type'] === 'LogAppendTime',
    durability: c['stratus.durability'] === 'object' ? 'object' : 'local',
  };
}
