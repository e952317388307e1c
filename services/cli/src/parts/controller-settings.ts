// The Controller's options from a config's sections (dev and controller): cluster-wide
// topic defaults and limits, retention, compaction, orphan sweep, offsets retention.
// One mapping, so a key means the same in both.

import type { ControllerOptions } from '@stratus/controller';
import type { StratusConfig } from '../config/schema.ts';

type Sections = Pick<StratusConfig, 'clusterName' | 'retention' | 'compaction'> & {
  readonly topics: Pick<StratusConfig['topics'], 'autoCreate' | 'defaultPartitions' | 'maxMessageBytes'>;
  readonly groups: Pick<StratusConfig['groups'], 'offsetsRetention'>;
  readonly limits: Pick<StratusConfig['limits'], 'maxTopics' | 'maxPartitions' | 'maxPartitionsPerTopic' | 'maxCommittedOffsets' | 'maxAcls' | 'maxScramCredentials'>;
};

export type ControllerSettings = Omit<ControllerOptions, 'store' | 'objectStore' | 'clock' | 'random' | 'onBackgroundError' | 'onFatal' | 'maxBatchBytes' | 'cluster'>;

export function controllerSettings(config: Sections): ControllerSettings {
  const c = config.compaction;
  return {
    retentionCheckIntervalMs: config.retention.checkInterval,
    objectDeleteGraceMs: config.retention.deleteGrace,
    // The uploader names objects under the cluster name: compaction writes there too, and
    // the orphan sweep deletes nothing else.
    objectKeyPrefix: config.clusterName,
    orphanSweep: { enabled: config.retention.orphanSweep, orphanAgeMs: config.retention.orphanAge, maxListedPerRun: config.retention.orphanListLimit },
    compaction: {
      enabled: c.enabled,
      intervalMs: c.interval,
      targetObjectBytes: c.targetObjectBytes,
      maxExtentBytes: c.maxExtentBytes,
      smallExtentBytes: c.smallExtentBytes,
      minAgeMs: c.minAge,
      maxBytesPerRun: c.maxBytesPerRun,
      maxMergesPerRun: c.maxMergesPerRun,
      maxExtentsPerMerge: c.maxExtentsPerMerge,
      bytesPerSecond: c.bytesPerSecond,
      maxAttempts: c.maxAttempts,
      setAsideMs: c.setAside,
      concurrency: c.concurrency,
    },
    offsetsRetentionMs: config.groups.offsetsRetention,
    maxTopics: config.limits.maxTopics,
    maxPartitions: config.limits.maxPartitions,
    maxPartitionsPerTopic: config.limits.maxPartitionsPerTopic,
    maxCommittedOffsets: config.limits.maxCommittedOffsets,
    maxAcls: config.limits.maxAcls,
    maxScramCredentials: config.limits.maxScramCredentials,
    brokerConfigs: {
      'num.partitions': String(config.topics.defaultPartitions),
      'auto.create.topics.enable': String(config.topics.autoCreate),
      'message.max.bytes': String(config.topics.maxMessageBytes),
    },
  };
}
