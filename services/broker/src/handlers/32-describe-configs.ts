// DescribeConfigs (API key 32), versions 0–4 (v4 flexible; kafkajs uses v0–2).
//
// Implemented: TOPIC (2) and BROKER (4) resources, answered from the controller's config
// entries (explicit topic configs and schema defaults, with their sources);
// ConfigurationKeys (null or empty = every key); IncludeSynonyms (v1+: one synonym, the
// entry itself with its source, because there is no broker-level `log.*` layer to list);
// IncludeDocumentation and ConfigType (v3+); v0's IsDefault, derived from the source as
// Kafka did before sources existed (a topic entry is default unless the topic sets it).
// Sensitive values are never returned.
//
// The controller unavailable (controller-failure.ts): the resources asked of it get
// NOT_CONTROLLER, which admin clients retry; the others are answered as usual.
//
// Not implemented: BROKER_LOGGER, GROUP and CLIENT_METRICS resources (INVALID_REQUEST per
// resource, as Kafka answers for types it does not know). A BROKER resource must name this
// broker or be empty (the cluster-wide dynamic defaults, of which there are none: broker
// configs are static).
//
// This file also holds the config-resource vocabulary that AlterConfigs and
// IncrementalAlterConfigs share.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { DescribeConfigsResponseDescribeConfigsResourceResult, DescribeConfigsResponseDescribeConfigsResult, Input } from '@stratus/protocol';
import type { ConfigEntry, ConfigResourceType, DescribeConfigsResult } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { defineHandler } from '../handler.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { configResourceDenied } from '../auth/authorize.ts';
import { RESOURCE_BROKER, RESOURCE_TOPIC, SOURCE_DEFAULT, SOURCE_DYNAMIC_TOPIC, parseBrokerId, unsupportedResourceType } from '../admin/config-resources.ts';

/** Kafka's ConfigResource.Type codes that Stratus serves. */
type ResourceResult = Input<DescribeConfigsResponseDescribeConfigsResult>;
type EntryResult = Input<DescribeConfigsResponseDescribeConfigsResourceResult>;

interface EntryOptions {
  readonly resourceType: number;
  readonly includeSynonyms: boolean;
  readonly includeDocumentation: boolean;
}

function toEntry(e: ConfigEntry, o: EntryOptions): EntryResult {
  const value = e.sensitive ? null : e.value;
  return {
    name: e.name,
    value,
    readOnly: e.readOnly,
    // v0 only: "not set". Topics inherit every value they do not set themselves.
    isDefault: o.resourceType === RESOURCE_TOPIC ? e.source !== SOURCE_DYNAMIC_TOPIC : e.source === SOURCE_DEFAULT,
    configSource: e.source,
    isSensitive: e.sensitive,
    synonyms: o.includeSynonyms ? [{ name: e.name, value, source: e.source }] : [],
    configType: e.type,
    documentation: o.includeDocumentation ? e.documentation : null,
  };
}

export function describeConfigsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeConfigs,
    accept: [0, 4],
    handle: async (req, rctx) => {
      const nodeId = ctx.config.nodeId;
      // Kafka: a null or empty key list both mean every key.
      const keysOf = (keys: readonly string[] | null): readonly string[] | null => (keys === null || keys.length === 0 ? null : keys);

      // One slot per requested resource, in request order: either answered here or asked
      // of the controller as (type, canonical name).
      const asks: { type: ConfigResourceType; name: string; keys: readonly string[] | null }[] = [];
      const slots: (ResourceResult | { ask: number })[] = [];
      for (const r of req.resources) {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        const keys = keysOf(r.configurationKeys);
        // Kafka: DESCRIBE_CONFIGS on the topic, or on the cluster for a broker resource.
        const denied = configResourceDenied(ctx.authorizer, rctx, AclOperation.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
        if (denied !== null) {
          slots.push({ ...base, ...denied, configs: [] });
        } else if (r.resourceType === RESOURCE_TOPIC) {
          slots.push({ ask: asks.push({ type: 'topic', name: r.resourceName, keys }) - 1 });
        } else if (r.resourceType === RESOURCE_BROKER) {
          if (r.resourceName === '') {
            // Cluster-wide dynamic broker defaults: broker configs are static, so none.
            slots.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: [] });
            continue;
          }
          const id = parseBrokerId(r.resourceName, 'Broker');
          if (typeof id !== 'number') slots.push({ ...base, ...id, configs: [] });
          else if (id !== nodeId) {
            slots.push({
              ...base,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: `Unexpected broker id, expected ${nodeId} or empty string, but received ${r.resourceName}`,
              configs: [],
            });
          } else slots.push({ ask: asks.push({ type: 'broker', name: String(nodeId), keys }) - 1 });
        } else {
          slots.push({ ...base, ...unsupportedResourceType(r.resourceType), configs: [] });
        }
      }

      const answers =
        asks.length > 0
          ? await askController('admin', () => ctx.controller.describeConfigs(asks), (failed) =>
              asks.map((a): DescribeConfigsResult => ({ resourceType: a.type, resourceName: a.name, entries: [], ...failed })),
            )
          : [];
      const byKey = new Map<string, DescribeConfigsResult>(answers.map((a) => [`${a.resourceType}\0${a.resourceName}`, a]));

      const options = { includeSynonyms: req.includeSynonyms, includeDocumentation: req.includeDocumentation };
      const results = slots.map((slot, i): ResourceResult => {
        if (!('ask' in slot)) return slot;
        const r = req.resources[i]!;
        const ask = asks[slot.ask]!;
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        const answer = byKey.get(`${ask.type}\0${ask.name}`);
        if (answer === undefined) {
          return { ...base, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The controller returned no result for this resource.', configs: [] };
        }
        if (answer.errorCode !== ErrorCode.NONE) return { ...base, errorCode: answer.errorCode, errorMessage: answer.errorMessage, configs: [] };
        const wanted = ask.keys === null ? null : new Set(ask.keys);
        const entries = wanted === null ? answer.entries : answer.entries.filter((e) => wanted.has(e.name));
        return {
          ...base,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          configs: entries.map((e) => toEntry(e, { ...options, resourceType: r.resourceType })),
        };
      });
      return { throttleTimeMs: 0, results };
    },
  });
}
