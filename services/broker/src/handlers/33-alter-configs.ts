// AlterConfigs (API key 33), versions 0–2 (v2 flexible). The legacy, non-incremental
// form: each TOPIC resource's dynamic configs are replaced by the given set
// (controller.alterConfigs); ValidateOnly checks without applying.
//
// Checks made here before anything reaches the controller, as Kafka's broker makes them
// (ConfigAdminManager.preprocess): a resource named twice, a config key named twice in
// one resource, a BROKER resource that is neither empty nor this broker's id.
//
// Not implemented: changing BROKER configs. They are static in Stratus, so a BROKER
// resource with configs gets INVALID_REQUEST "Cannot update these configs dynamically"
// (Kafka's answer for non-dynamic broker configs); one without configs succeeds, as there
// is nothing to change. BROKER_LOGGER, GROUP and CLIENT_METRICS resources get
// INVALID_REQUEST per resource.
//
// This file also holds the per-resource checks and result assembly that
// IncrementalAlterConfigs shares.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { AlterConfigsResponseAlterConfigsResourceResponse, Input } from '@stratus/protocol';
import type { ConfigResourceType, ItemResult } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from '../handler.ts';
import { configResourceType, parseBrokerId, unsupportedResourceType } from './32-describe-configs.ts';

export interface AlterResource {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly { readonly name: string }[];
}

/** What the controller answers per resource it was asked to alter. */
export type AlterAnswer = ItemResult & { readonly type: ConfigResourceType; readonly name: string };

const OK: ItemResult = { errorCode: ErrorCode.NONE, errorMessage: null };

function invalid(errorMessage: string): ItemResult {
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage };
}

/**
 * The broker-side verdict per request resource, in request order: an ItemResult when the
 * resource is answered without the controller, or 'topic' when it is to be forwarded.
 * `check` adds API-specific checks of a resource's configs (run after the duplicate checks).
 */
export function precheckAlter<R extends AlterResource>(resources: readonly R[], nodeId: number, check: (r: R) => ItemResult | null): (ItemResult | 'topic')[] {
  const seen = new Map<string, number>();
  for (const r of resources) {
    const key = `${r.resourceType}\0${r.resourceName}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return resources.map((r) => {
    if (seen.get(`${r.resourceType}\0${r.resourceName}`)! > 1) return invalid('Each resource must appear at most once.');
    const names = r.configs.map((c) => c.name);
    if (new Set(names).size !== names.length) return invalid('Error due to duplicate config keys');
    const problem = check(r);
    if (problem !== null) return problem;
    const type = configResourceType(r.resourceType);
    if (type === undefined) return unsupportedResourceType(r.resourceType);
    if (type === 'topic') return 'topic';
    if (r.resourceName !== '') {
      const id = parseBrokerId(r.resourceName, 'Node');
      if (typeof id !== 'number') return id;
      if (id !== nodeId) return invalid(`Unexpected broker id, expected ${nodeId}, but received ${r.resourceName}`);
    }
    // Broker configs are static: nothing can change, so only an empty change succeeds.
    if (names.length > 0) return invalid(`Cannot update these configs dynamically: ${[...new Set(names)].join(', ')}`);
    return OK;
  });
}

type ResourceResponse = Input<AlterConfigsResponseAlterConfigsResourceResponse>;

/** One response per request resource, from the prechecks and the controller's answers. */
export function alterResults(resources: readonly AlterResource[], verdicts: readonly (ItemResult | 'topic')[], answers: readonly AlterAnswer[]): ResourceResponse[] {
  const byName = new Map(answers.filter((a) => a.type === 'topic').map((a) => [a.name, a]));
  return resources.map((r, i) => {
    const verdict = verdicts[i]!;
    let result: ItemResult;
    if (verdict !== 'topic') result = verdict;
    else result = byName.get(r.resourceName) ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The controller returned no result for this resource.' };
    return { errorCode: result.errorCode, errorMessage: result.errorMessage, resourceType: r.resourceType, resourceName: r.resourceName };
  });
}

export function alterConfigsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.AlterConfigs,
    accept: [0, 2],
    handle: async (req) => {
      const verdicts = precheckAlter(req.resources, ctx.config.nodeId, () => null);
      const forward = req.resources
        .filter((_, i) => verdicts[i] === 'topic')
        .map((r) => ({ type: 'topic' as const, name: r.resourceName, configs: Object.fromEntries(r.configs.map((c) => [c.name, c.value])) }));
      const answers = forward.length > 0 ? await ctx.controller.alterConfigs(forward, { validateOnly: req.validateOnly }) : [];
      return { throttleTimeMs: 0, responses: alterResults(req.resources, verdicts, answers) };
    },
  });
}
