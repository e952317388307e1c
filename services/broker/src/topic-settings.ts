// The topic configs the broker's data path reads. The controller owns the full config
// schema, its defaults and validation; a topic's `configs` hold only what was set, so the
// defaults come from that schema (and max.message.bytes from the broker's
// message.max.bytes, as in Kafka).

import { TOPIC_CONFIG_KEYS } from '@stratus/controller';
import type { TopicInfo } from '@stratus/controller';
import type { Durability } from '@stratus/storage';

export interface TopicSettings {
  /** max.message.bytes: the largest record batch the topic accepts. */
  readonly maxMessageBytes: number;
  readonly logAppendTime: boolean;
  readonly durability: Durability;
  /** message.timestamp.before.max.ms / after.max.ms (KIP-937): how far a CreateTime record may lie in the past / future. */
  readonly timestampBeforeMaxMs: number;
  readonly timestampAfterMaxMs: number;
}

/** A validated integer config, clamped to what a JavaScript number holds exactly (Long.MAX_VALUE means "no limit"). */
function integerConfig(configs: Readonly<Record<string, string>>, name: string, fallback: string): number {
  const n = Number(configs[name] ?? fallback);
  return Number.isFinite(n) ? Math.min(n, Number.MAX_SAFE_INTEGER) : Number(fallback);
}

const schemaDefault = (name: string): string => TOPIC_CONFIG_KEYS.get(name)!.defaultValue;
const BEFORE_MAX_DEFAULT = schemaDefault('message.timestamp.before.max.ms');
const AFTER_MAX_DEFAULT = schemaDefault('message.timestamp.after.max.ms');

/** What an open partition log follows (changeable while it is open). */
export function logSettings(topic: TopicInfo): Pick<TopicSettings, 'durability' | 'logAppendTime'> {
  const c = topic.configs;
  return { logAppendTime: c['message.timestamp.type'] === 'LogAppendTime', durability: c['stratus.durability'] === 'object' ? 'object' : 'local' };
}

export function topicSettings(topic: TopicInfo, brokerMessageMaxBytes: number): TopicSettings {
  const c = topic.configs;
  return {
    ...logSettings(topic),
    maxMessageBytes: integerConfig(c, 'max.message.bytes', String(brokerMessageMaxBytes)),
    timestampBeforeMaxMs: integerConfig(c, 'message.timestamp.before.max.ms', BEFORE_MAX_DEFAULT),
    timestampAfterMaxMs: integerConfig(c, 'message.timestamp.after.max.ms', AFTER_MAX_DEFAULT),
  };
}
