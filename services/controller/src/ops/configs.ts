// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs over topic and broker
// resources. Topic configs are dynamic and persisted (ConfigsAltered replaces the whole
// explicit set); broker configs are the read-only BrokerSettings the controller was
// started with.

import { ErrorCode } from '@stratus/protocol';
import type { AlterConfigOp, ConfigResourceType, DescribeConfigsResult, ItemResult } from '../controller-api.ts';
import type { BrokerConfigEntry, BrokerSettings } from '../config/broker-config.ts';
import { CONFIG_SOURCE, CONFIG_TYPE } from '../config/config-types.ts';
import { applyIncrementalOps, describeTopicConfigs, validateTopicConfigs } from '../config/topic-configs.ts';
import type { ConfigOutcome } from '../config/topic-configs.ts';
import { topicByName } from '../state/state.ts';
import type { ControllerState } from '../state/state.ts';
import type { DecideContext, Tx } from './tx.ts';

type ResourceResult = ItemResult & { type: ConfigResourceType; name: string };

/** Broker resources are named by node id; "" is the cluster-wide default. */
function brokerNameProblem(name: string): string | undefined {
  return name === '' || /^\d{1,10}$/.test(name) ? undefined : `Broker resource name must be a broker id or empty, got "${name}"`;
}

export function describeConfigs(
  s: ControllerState,
  settings: BrokerSettings,
  brokerConfigs: readonly BrokerConfigEntry[],
  resources: readonly { type: ConfigResourceType; name: string; keys: readonly string[] | null }[],
): DescribeConfigsResult[] {
  return resources.map((r): DescribeConfigsResult => {
    const base = { resourceType: r.type, resourceName: r.name };
    if (r.type === 'topic') {
      const t = topicByName(s, r.name);
      if (t === undefined) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${r.name}' does not exist.`, entries: [] };
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, entries: describeTopicConfigs(t.configs, settings, r.keys) };
    }
    const problem = brokerNameProblem(r.name);
    if (problem !== undefined) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, entries: [] };
    const wanted = r.keys === null ? null : new Set(r.keys);
    const entries = brokerConfigs
      .filter((e) => wanted === null || wanted.has(e.name))
      .map((e) => ({
        name: e.name,
        value: e.value,
        readOnly: true,
        source: CONFIG_SOURCE.STATIC_BROKER_CONFIG,
        sensitive: false,
        type: CONFIG_TYPE[e.type],
        documentation: e.documentation,
      }));
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  });
}

/** Shared shape of both alter calls: per resource, compute the new explicit set or an error. */
function decideAlter<R extends { type: ConfigResourceType; name: string }>(
  tx: Tx,
  resources: readonly R[],
  validateOnly: boolean,
  compute: (r: R, current: Readonly<Record<string, string>>) => ConfigOutcome,
): ResourceResult[] {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(`${r.type}/${r.name}`, (counts.get(`${r.type}/${r.name}`) ?? 0) + 1);
  return resources.map((r): ResourceResult => {
    const base = { type: r.type, name: r.name };
    if ((counts.get(`${r.type}/${r.name}`) ?? 0) > 1) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Duplicate resource ${r.type} ${r.name} in the request` };
    if (r.type === 'broker') {
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Broker configs are read-only in Stratus: set them in the broker configuration file and restart' };
    }
    const t = topicByName(tx.state, r.name);
    if (t === undefined) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${r.name}' does not exist.` };
    const outcome = compute(r, t.configs);
    if (!outcome.ok) return { ...base, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage };
    if (!validateOnly && !sameConfigs(t.configs, outcome.configs)) tx.emit({ type: 'ConfigsAltered', topicId: t.topicId, configs: outcome.configs });
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
  });
}

export function decideAlterConfigs(
  tx: Tx,
  ctx: DecideContext,
  resources: readonly { type: ConfigResourceType; name: string; configs: Readonly<Record<string, string | null>> }[],
  validateOnly: boolean,
): ResourceResult[] {
  return decideAlter(tx, resources, validateOnly, (r) => validateTopicConfigs(r.configs, ErrorCode.INVALID_REQUEST, ctx.options));
}

export function decideIncrementalAlterConfigs(
  tx: Tx,
  ctx: DecideContext,
  resources: readonly { type: ConfigResourceType; name: string; ops: readonly { name: string; op: AlterConfigOp; value: string | null }[] }[],
  validateOnly: boolean,
): ResourceResult[] {
  return decideAlter(tx, resources, validateOnly, (r, current) => applyIncrementalOps(current, r.ops, ctx.options.broker, ctx.options));
}

function sameConfigs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a);
  return ak.length === Object.keys(b).length && ak.every((k) => a[k] === b[k]);
}
