// What the active controller knows of the cluster (Controller.clusterStats(), read at
// scrape time): brokers registered, alive, fenced, suspected and draining, partition
// moves under way and since start by how they ended, and the metadata commits made
// durable. A standby controller has none of these (it holds no state): they are absent.

import type { Registry } from 'prom-client';
import type { ClusterStats, ControllerStats } from '@stratus/controller';
import { labelledGauge, readGauge } from './gauges.ts';

export function clusterMetrics(registry: Registry, cluster: () => ClusterStats | undefined, controller: (() => ControllerStats | undefined) | undefined): void {
  labelledGauge(
    registry,
    'stratus_controller_brokers',
    'Brokers the active controller knows, by state: registered (all), alive (registered and not fenced), fenced (lease lapsed), suspected (gone by its connection or silence, before the lease lapses), draining',
    'state',
    () => {
      const s = cluster();
      return s === undefined
        ? undefined
        : { registered: s.brokers, alive: s.brokers - s.brokersFencedNow, fenced: s.brokersFencedNow, suspected: s.brokersSuspectedNow, draining: s.brokersDraining };
    },
  );
  labelledGauge(
    registry,
    'stratus_controller_partition_moves',
    'Partition leadership moves: under way now, and since this controller became active started, completed (released by the old leader), forced (without a release), on suspicion (of those forced), cancelled, and unclean failovers',
    'what',
    () => {
      const s = cluster();
      return s === undefined
        ? undefined
        : {
            under_way: s.movesUnderWay,
            started: s.movesStarted,
            completed: s.movesCompleted,
            forced: s.movesForced,
            on_suspicion: s.movesOnSuspicion,
            cancelled: s.movesCancelled,
            unclean_failovers: s.uncleanFailovers,
          };
    },
  );
  labelledGauge(registry, 'stratus_controller_broker_events', 'Since this controller became active: brokers fenced because their lease lapsed, and brokers that became suspects', 'event', () => {
    const s = cluster();
    return s === undefined ? undefined : { fenced: s.brokersFenced, suspected: s.brokersSuspected };
  });
  if (controller !== undefined) {
    readGauge(registry, 'stratus_controller_metadata_commits', 'Metadata commits made durable (the sequence number of the last durable journal batch; one batch may carry many callers\' changes)', () => controller()?.durableSeq);
  }
}
