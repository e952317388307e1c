// Auto-creation of topics named by Metadata or Produce requests
// (auto.create.topics.enable), with the cluster's default partition count.

import { ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from './broker-context.ts';
import { askController } from './controller-failure.ts';

/**
 * Creates the missing topics among `names`. Returns, per name that could not be
 * created, the error code to report (INVALID_TOPIC_EXCEPTION for bad names;
 * LEADER_NOT_AVAILABLE for every name when the controller is unavailable, as Kafka
 * answers while an auto-creation is under way: clients ask again); names created (or
 * created concurrently by someone else) are absent from the result.
 */
export async function ensureTopics(ctx: BrokerContext, names: readonly string[]): Promise<Map<string, number>> {
  const unique = [...new Set(names)];
  const results = await askController(
    'autoCreate',
    () => ctx.controller.createTopics(unique.map((name) => ({ name, numPartitions: ctx.config.defaultPartitions, replicationFactor: -1, configs: {} })), { validateOnly: false }),
    (failed) => unique.map((name) => ({ name, topic: null, ...failed })),
  );
  const failed = new Map<string, number>();
  for (const r of results) {
    if (r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) failed.set(r.name, r.errorCode);
  }
  return failed;
}
