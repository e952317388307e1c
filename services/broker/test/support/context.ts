// Shared by the broker's handler tests: a BrokerConfig with test values, and a
// PartitionAccess that fails the test if a handler that must not touch partitions does.

import type { BrokerConfig, PartitionAccess } from '../../src/broker-context.ts';

export const TEST_NODE_ID = 1;

export function testBrokerConfig(overrides: Partial<BrokerConfig> = {}): BrokerConfig {
  return {
    nodeId: TEST_NODE_ID,
    advertisedHost: 'broker-1.local',
    advertisedPort: 9092,
    rack: null,
    autoCreateTopics: false,
    defaultPartitions: 3,
    fetchMaxBytes: 52_428_800,
    fetchMaxWaitMs: 500,
    groupMinSessionTimeoutMs: 6_000,
    groupMaxSessionTimeoutMs: 1_800_000,
    groupInitialRebalanceDelayMs: 0,
    offsetsRetentionMs: 604_800_000,
    messageMaxBytes: 1_048_588,
    maxDecompressedBatchBytes: 64 * 1024 * 1024,
    ...overrides,
  };
}

/** A PartitionAccess whose every use throws: `who` names the handlers in the message. */
export function forbiddenPartitions(who: string): PartitionAccess {
  return new Proxy({} as PartitionAccess, {
    get: (_, prop) => () => {
      throw new Error(`${who} must not use partitions.${String(prop)}`);
    },
  });
}
