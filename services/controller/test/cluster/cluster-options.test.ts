// The cluster options: defaults, and errors that name the option and its bounds.

import { describe, expect, it } from 'vitest';
import { resolveClusterOptions } from '../../src/cluster/cluster-options.ts';
import { failoverPolicy } from '../../src/cluster/failover-policy.ts';
import { createTopic, openHarness } from '../support/helpers.ts';

describe('cluster options', () => {
  it('defaults to a 6 s lease, 1 s heartbeats, 10 s move timeout, 32 moves, no unclean failover after 5 min, suspicion after 0.5 s disconnected or 3 s silent', () => {
    expect(resolveClusterOptions()).toEqual({
      brokerLeaseMs: 6000,
      heartbeatIntervalMs: 1000,
      checkIntervalMs: 250,
      moveTimeoutMs: 10_000,
      maxConcurrentMoves: 32,
      uncleanFailover: false,
      uncleanFailoverGraceMs: 300_000,
      suspectAfterDisconnectMs: 500,
      suspectAfterSilenceMs: 3000,
    });
  });

  it('refuses heartbeats too slow for the lease, and bad values, naming the option', () => {
    expect(() => resolveClusterOptions({ brokerLeaseMs: 3000, heartbeatIntervalMs: 1500 })).toThrow(/cluster\.heartbeatIntervalMs must be an integer from 10 to 1000, got 1500/);
    expect(() => resolveClusterOptions({ maxConcurrentMoves: 0 })).toThrow(/cluster\.maxConcurrentMoves/);
    expect(() => resolveClusterOptions({ brokerLeaseMs: 1.5 })).toThrow(/cluster\.brokerLeaseMs/);
    expect(() => resolveClusterOptions({ uncleanFailover: 'yes' as unknown as boolean })).toThrow(/cluster\.uncleanFailover must be true or false/);
    // A short lease brings the heartbeat default down with it.
    expect(resolveClusterOptions({ brokerLeaseMs: 900 }).heartbeatIntervalMs).toBe(300);
  });

  it('lets topic configs override the cluster defaults of unclean failover', () => {
    const cluster = resolveClusterOptions({ uncleanFailover: true, uncleanFailoverGraceMs: 1000 });
    expect(failoverPolicy({}, cluster)).toEqual({ durability: 'local', uncleanFailover: true, uncleanGraceMs: 1000 });
    expect(failoverPolicy({ 'unclean.leader.election.enable': 'FALSE', 'stratus.unclean.failover.grace.ms': '5', 'stratus.durability': 'object' }, cluster)).toEqual({
      durability: 'object',
      uncleanFailover: false,
      uncleanGraceMs: 5,
    });
  });

  it('describes the cluster defaults as the topic configs\' defaults', async () => {
    const { controller } = await openHarness({ cluster: { uncleanFailover: true, uncleanFailoverGraceMs: 1234 } });
    await createTopic(controller, 't', 1);
    const [d] = await controller.describeConfigs([{ type: 'topic', name: 't', keys: ['unclean.leader.election.enable', 'stratus.unclean.failover.grace.ms'] }]);
    expect(d!.entries.map((e) => [e.name, e.value, e.source])).toEqual([
      ['unclean.leader.election.enable', 'true', 5],
      ['stratus.unclean.failover.grace.ms', '1234', 5],
    ]);
  });
});
