// What a topic's configs say about losing its leader: its durability (`object` data is
// committed before it is acknowledged, so its partitions may move at once; `local` data
// may sit only in the lost broker's WAL) and whether, and after how long, a `local`
// partition may move without its leader anyway (unclean failover, Kafka's
// unclean.leader.election.enable). Topic configs override the controller's cluster
// defaults. Values were validated when they were set.

import { parseLong } from '../config/config-types.ts';
import type { ResolvedClusterOptions } from './cluster-options.ts';

export interface FailoverPolicy {
  readonly durability: 'local' | 'object';
  readonly uncleanFailover: boolean;
  readonly uncleanGraceMs: number;
}

export function failoverPolicy(configs: Readonly<Record<string, string>>, cluster: ResolvedClusterOptions): FailoverPolicy {
  const unclean = configs['unclean.leader.election.enable'];
  const grace = configs['stratus.unclean.failover.grace.ms'];
  return {
    durability: configs['stratus.durability']?.trim() === 'object' ? 'object' : 'local',
    uncleanFailover: unclean === undefined ? cluster.uncleanFailover : unclean.trim().toLowerCase() === 'true',
    uncleanGraceMs: grace === undefined ? cluster.uncleanFailoverGraceMs : parseLong(grace),
  };
}
