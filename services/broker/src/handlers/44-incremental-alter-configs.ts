// IncrementalAlterConfigs (API key 44), versions 0–1 (v1 flexible). Per-key operations
// on TOPIC resources: 0 SET, 1 DELETE (back to the default), 2 APPEND and 3 SUBTRACT (list
// configs), applied by controller.incrementalAlterConfigs; ValidateOnly checks without
// applying.
//
// Checked here before the controller sees a resource, as Kafka's broker does: a resource
// named twice, a key named twice, a null value for any operation but DELETE ("Null value
// not supported"), an unknown operation code, a BROKER resource that is neither empty nor
// this broker's id. Value checks (unknown keys, APPEND to a non-list) are the controller's.
//
// The controller unavailable (controller-failure.ts): the TOPIC resources forwarded get
// NOT_CONTROLLER, which admin clients retry. An APPEND or SUBTRACT may have been applied
// all the same (the gRPC client does not repeat them); a retry applies it again, as after a
// Kafka controller timeout.
//
// Not implemented: changing BROKER configs. They are static in Stratus, so a BROKER
// resource with operations gets INVALID_REQUEST "Cannot update these configs dynamically";
// BROKER_LOGGER, GROUP and CLIENT_METRICS resources get INVALID_REQUEST per resource.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { IncrementalAlterConfigsRequestAlterConfigsResource } from '@stratus/protocol';
import type { AlterConfigOp, ItemResult } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { defineHandler } from '../handler.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { configResourceDenied } from '../auth/authorize.ts';
import { alterResults, precheckAlter } from '../admin/config-resources.ts';

/** Kafka's AlterConfigOp.OpType ids. */
const OPS: readonly AlterConfigOp[] = ['set', 'delete', 'append', 'subtract'];
const OP_DELETE = 1;

function checkOps(r: IncrementalAlterConfigsRequestAlterConfigsResource): ItemResult | null {
  const unknown = r.configs.find((c) => OPS[c.configOperation] === undefined);
  if (unknown !== undefined) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown config operation ${unknown.configOperation} for ${unknown.name}` };
  }
  const nulls = r.configs.filter((c) => c.value === null && c.configOperation !== OP_DELETE).map((c) => c.name);
  if (nulls.length > 0) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${nulls.join(', ')}` };
  return null;
}

export function incrementalAlterConfigsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.IncrementalAlterConfigs,
    accept: [0, 1],
    handle: async (req, rctx) => {
      // Kafka: ALTER_CONFIGS on the topic, or on the cluster for a broker resource.
      const verdicts = precheckAlter(req.resources, ctx.config.nodeId, (r) => configResourceDenied(ctx.authorizer, rctx, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName) ?? checkOps(r));
      const forward = req.resources
        .filter((_, i) => verdicts[i] === 'topic')
        .map((r) => ({
          type: 'topic' as const,
          name: r.resourceName,
          ops: r.configs.map((c) => ({ name: c.name, op: OPS[c.configOperation]!, value: c.value })),
        }));
      const answers =
        forward.length > 0
          ? await askController('admin', () => ctx.controller.incrementalAlterConfigs(forward, { validateOnly: req.validateOnly }), (failed) =>
              forward.map((f) => ({ type: f.type, name: f.name, ...failed })),
            )
          : [];
      return { throttleTimeMs: 0, responses: alterResults(req.resources, verdicts, answers) };
    },
  });
}
