// Topic configs as requests use them: validating a set (CreateTopics, AlterConfigs),
// applying per-key operations (IncrementalAlterConfigs), describing the effective values
// (DescribeConfigs) and reading the ones the controller itself acts on (retention).
// Pure functions over the schema; the controller decides what to do with the outcome.

import { ErrorCode } from '@stratus/protocol';
import type { RetentionPolicy } from '@stratus/partition-index';
import type { AlterConfigOp, ConfigEntry } from '../controller-api.ts';
import { topicConfigDefault } from './broker-config.ts';
import type { BrokerSettings } from './broker-config.ts';
import { CONFIG_SOURCE, CONFIG_TYPE, listItems, parseLong } from './config-types.ts';
import { MAX_CONFIG_VALUE_BYTES, TOPIC_CONFIG_KEYS } from './topic-config-schema.ts';

export type ConfigOutcome =
  | { readonly ok: true; readonly configs: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly errorCode: number; readonly errorMessage: string };

function refuse(errorCode: number, errorMessage: string): ConfigOutcome {
  return { ok: false, errorCode, errorMessage };
}

/** Cluster limits that bound topic configs. */
export interface TopicConfigLimits {
  /** Largest record batch the brokers' storage holds: max.message.bytes may not exceed it. */
  readonly maxBatchBytes: number;
}

/**
 * Checks a complete set of explicit configs. `nullErrorCode`: Kafka refuses null values
 * with INVALID_CONFIG in CreateTopics and INVALID_REQUEST in AlterConfigs.
 */
export function validateTopicConfigs(configs: Readonly<Record<string, string | null>>, nullErrorCode: number, limits: TopicConfigLimits): ConfigOutcome {
  const out: Record<string, string> = {};
  for (const name of Object.keys(configs).sort()) {
    const value = configs[name];
    const key = TOPIC_CONFIG_KEYS.get(name);
    if (key === undefined) return refuse(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
    if (value === null || value === undefined) return refuse(nullErrorCode, `Null value not supported for topic config: ${name}`);
    if (Buffer.byteLength(value) > MAX_CONFIG_VALUE_BYTES) return refuse(ErrorCode.INVALID_CONFIG, `Value of ${name} is longer than ${MAX_CONFIG_VALUE_BYTES} bytes`);
    const problem = key.validate(value) ?? limitProblem(name, value, limits);
    if (problem !== undefined) return refuse(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: ${problem}`);
    out[name] = value;
  }
  return { ok: true, configs: out };
}

function limitProblem(name: string, value: string, limits: TopicConfigLimits): string | undefined {
  if (name === 'max.message.bytes' && parseLong(value) > limits.maxBatchBytes) {
    return `${parseLong(value)} exceeds ${limits.maxBatchBytes}, the largest record batch the brokers' storage can hold (wal.segmentBytes and storage.pendingBytes bound it)`;
  }
  return undefined;
}

export interface IncrementalOp {
  readonly name: string;
  readonly op: AlterConfigOp;
  readonly value: string | null;
}

/** Applies IncrementalAlterConfigs operations to the current explicit configs, then validates the result. */
export function applyIncrementalOps(current: Readonly<Record<string, string>>, ops: readonly IncrementalOp[], settings: BrokerSettings, limits: TopicConfigLimits): ConfigOutcome {
  const seen = new Set<string>();
  for (const o of ops) {
    if (seen.has(o.name)) return refuse(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${o.name}`);
    seen.add(o.name);
  }
  const next: Record<string, string | null> = { ...current };
  for (const o of ops) {
    const key = TOPIC_CONFIG_KEYS.get(o.name);
    if (key === undefined) return refuse(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${o.name}`);
    if (o.op === 'delete') {
      delete next[o.name];
      continue;
    }
    if (o.value === null) return refuse(ErrorCode.INVALID_REQUEST, `Null value not supported for ${o.op} of ${o.name}`);
    if (o.op === 'set') {
      next[o.name] = o.value;
      continue;
    }
    if (key.type !== 'list') return refuse(ErrorCode.INVALID_CONFIG, `Config value ${o.op} is not allowed for config key ${o.name}: it is not a list`);
    const items = listItems(next[o.name] ?? topicConfigDefault(o.name, settings) ?? '');
    const operand = listItems(o.value);
    const result = o.op === 'append' ? [...items, ...operand.filter((v) => !items.includes(v))] : items.filter((v) => !operand.includes(v));
    next[o.name] = result.join(',');
  }
  return validateTopicConfigs(next, ErrorCode.INVALID_REQUEST, limits);
}

/** DescribeConfigs entries of a topic: every key (or those in `keys`), explicit or default. */
export function describeTopicConfigs(configs: Readonly<Record<string, string>>, settings: BrokerSettings, keys: readonly string[] | null): ConfigEntry[] {
  const wanted = keys === null ? null : new Set(keys);
  const out: ConfigEntry[] = [];
  for (const key of TOPIC_CONFIG_KEYS.values()) {
    if (wanted !== null && !wanted.has(key.name)) continue;
    const explicit = configs[key.name];
    out.push({
      name: key.name,
      value: explicit ?? topicConfigDefault(key.name, settings) ?? null,
      readOnly: false,
      source: explicit !== undefined ? CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG : CONFIG_SOURCE.DEFAULT_CONFIG,
      sensitive: false,
      type: CONFIG_TYPE[key.type],
      documentation: key.documentation,
    });
  }
  return out;
}

/** The topic's retention as planRetention takes it (values were validated on the way in). */
export function retentionPolicy(configs: Readonly<Record<string, string>>, settings: BrokerSettings): RetentionPolicy {
  return {
    retentionMs: parseLong(configs['retention.ms'] ?? String(settings.logRetentionMs)),
    retentionBytes: parseLong(configs['retention.bytes'] ?? String(settings.logRetentionBytes)),
    timestampAfterMaxMs: parseLong(configs['message.timestamp.after.max.ms'] ?? TOPIC_CONFIG_KEYS.get('message.timestamp.after.max.ms')!.defaultValue),
  };
}
