// The admin handlers together, as the broker registers them: the registry accepts their
// ranges, the ranges cover what KAFKA-COMPAT.md requires, and a request frame goes all
// the way through the Dispatcher (decode, handle, encode).

import { describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRequest, ErrorCode } from '@stratus/protocol';
import { Dispatcher } from '../../src/dispatcher.ts';
import { createTopicsHandler } from '../../src/handlers/19-create-topics.ts';
import { deleteTopicsHandler } from '../../src/handlers/20-delete-topics.ts';
import { describeConfigsHandler } from '../../src/handlers/32-describe-configs.ts';
import { alterConfigsHandler } from '../../src/handlers/33-alter-configs.ts';
import { createPartitionsHandler } from '../../src/handlers/37-create-partitions.ts';
import { electLeadersHandler } from '../../src/handlers/43-elect-leaders.ts';
import { incrementalAlterConfigsHandler } from '../../src/handlers/44-incremental-alter-configs.ts';
import { describeClusterHandler } from '../../src/handlers/60-describe-cluster.ts';
import type { BrokerContext } from '../../src/broker-context.ts';
import { adminFixture } from './support/wire.ts';

function adminHandlers(ctx: BrokerContext) {
  return [
    createTopicsHandler(ctx),
    deleteTopicsHandler(ctx),
    describeConfigsHandler(ctx),
    alterConfigsHandler(ctx),
    createPartitionsHandler(ctx),
    electLeadersHandler(ctx),
    incrementalAlterConfigsHandler(ctx),
    describeClusterHandler(ctx),
  ];
}

/** KAFKA-COMPAT.md's accepted ranges ("full" = the whole schema). */
const REQUIRED: Record<number, [number, number]> = {
  [ApiKey.CreateTopics]: [2, 7],
  [ApiKey.DeleteTopics]: [1, 6],
  [ApiKey.CreatePartitions]: [0, 3],
  [ApiKey.DescribeConfigs]: [1, 4],
  [ApiKey.AlterConfigs]: [0, 2],
  [ApiKey.IncrementalAlterConfigs]: [0, 1],
  [ApiKey.DescribeCluster]: [0, 1],
  [ApiKey.ElectLeaders]: [0, 2],
};

describe('admin handler registration', () => {
  it('registers in one dispatcher and advertises at least the required ranges', () => {
    const dispatcher = new Dispatcher(adminHandlers(adminFixture().ctx));
    const advertised = dispatcher.registry.advertised();
    expect(advertised.map((a) => a.apiKey)).toEqual(Object.keys(REQUIRED).map(Number));
    for (const a of advertised) {
      const [min, max] = REQUIRED[a.apiKey]!;
      expect(a.minVersion, `API ${a.apiKey}`).toBeLessThanOrEqual(min);
      expect(a.maxVersion, `API ${a.apiKey}`).toBeGreaterThanOrEqual(max);
    }
  });

  it('serves a kafkajs-style CreateTopics v2 frame through the dispatcher', async () => {
    const { ctx, controller } = adminFixture();
    const dispatcher = new Dispatcher(adminHandlers(ctx));
    const frame = encodeRequest(ApiKey.CreateTopics, 2, 99, 'kafkajs', {
      topics: [{ name: 'from-the-wire', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    const result = await dispatcher.dispatch(frame.subarray(4), { connectionId: 1, listenerName: 'PLAINTEXT', remoteAddress: '127.0.0.1:1', signal: new AbortController().signal });
    expect(result.kind).toBe('response');
    if (result.kind !== 'response') return;
    const decoded = decodeResponse(ApiKey.CreateTopics, 2, Buffer.concat(result.chunks).subarray(4));
    expect(decoded.ok && decoded.value.body.topics).toEqual([{ name: 'from-the-wire', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', errorCode: ErrorCode.NONE, errorMessage: null, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: [] }]);
    expect(controller.topic('from-the-wire')?.partitions).toHaveLength(2);
  });
});
