// AlterConfigs (API key 33), versions 0–2 (v2 flexible). The legacy, non-incremental
// form: each TOPIC resource's dynamic configs are replaced by the given set
// (controller.alterConfigs); ValidateOnly checks without applying.
//
// Checks made here before anything reaches the controller, as Kafka's broker makes them
// (ConfigAdminManager.preprocess): a resource named twice, a config key named twice in
// one resource, a BROKER resource that is neither empty nor this broker's id.
//
// The controller unavailable (controller-failure.ts): the TOPIC resources forwarded get
// NOT_CONTROLLER, which admin clients retry.
//
// Not implemented: changing BROKER configs. They are static in Stratus, so a BROKER
// resource with configs gets INVALID_REQUEST "Cannot update these configs dynamically"
// (Kafka's answer for non-dynamic broker configs); one without configs succeeds, as there
// is nothing to change. BROKER_LOGGER, GROUP and CLIENT_METRICS resources get
// INVALID_REQUEST per resource.
//
// This file also holds the per-resource checks and result assembly that
// IncrementalAlterConfigs shares.

import { ApiKey } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { defineHandler } from '../handler.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { configResourceDenied } from '../auth/authorize.ts';
import { alterResults, precheckAlter } from '../admin/config-resources.ts';

export function alterConfigsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.AlterConfigs,
    accept: [0, 2],
    handle: async (req, rctx) => {
      // Kafka: ALTER_CONFIGS on the topic, or on the cluster for a broker resource.
      const verdicts = precheckAlter(req.resources, ctx.config.nodeId, (r) => configResourceDenied(ctx.authorizer, rctx, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName));
      const forward = req.resources
        .filter((_, i) => verdicts[i] === 'topic')
        .map((r) => ({ type: 'topic' as const, name: r.resourceName, configs: Object.fromEntries(r.configs.map((c) => [c.name, c.value])) }));
      const answers =
        forward.length > 0
          ? await askController('admin', () => ctx.controller.alterConfigs(forward, { validateOnly: req.validateOnly }), (failed) => forward.map((f) => ({ type: f.type, name: f.name, ...failed })))
          : [];
      return { throttleTimeMs: 0, responses: alterResults(req.resources, verdicts, answers) };
    },
  });
}
