// Consumer-group lag, computed by the broker when /metrics is scraped: for each group its
// coordinator holds (the first metrics.maxLagGroups), the committed offset of every
// partition against that partition's high watermark. Nothing is kept between scrapes and
// nothing runs on the request path; a scrape costs one fetchOffsets call per group (a
// controller round trip in a cluster) and, for partitions this broker does not lead, one
// committedEndOffset call each. Those partitions' end is what is uploaded and committed,
// which trails their leader's high watermark by at most the upload delay. At most
// metrics.maxLagPartitions series are written; what is left out is counted in
// stratus_consumer_group_lag_dropped.

import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { CommittedOffset, TopicInfo } from '@stratus/controller';

interface TopicPartition {
  readonly topicId: string;
  readonly partition: number;
}
import type { MetricsLimits } from './limits.ts';

export interface GroupLagSources {
  /** The groups this broker coordinates. */
  readonly groupIds: () => Iterable<string>;
  /** Committed offsets of a group, keyed `topicId:partition`. */
  readonly fetchOffsets: (group: string) => Promise<ReadonlyMap<string, CommittedOffset>>;
  readonly topicById: (topicId: string) => TopicInfo | undefined;
  /** The high watermark of a partition this broker leads (open), else undefined. */
  readonly ledHighWatermark: (tp: TopicPartition) => number | undefined;
  /** The committed end offset of any partition (the controller's). */
  readonly committedEndOffset: (tp: TopicPartition) => Promise<number>;
}

export interface LagRow {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

/** The lag rows of one scrape, within the limits, and how many were left out (groups' partitions beyond maxLagPartitions, and groups beyond maxLagGroups). */
export async function computeGroupLag(s: GroupLagSources, limits: Pick<MetricsLimits, 'maxLagGroups' | 'maxLagPartitions'>): Promise<{ rows: LagRow[]; dropped: { groups: number; partitions: number } }> {
  const rows: LagRow[] = [];
  const dropped = { groups: 0, partitions: 0 };
  const groups: string[] = [];
  for (const g of s.groupIds()) {
    if (groups.length < limits.maxLagGroups) groups.push(g);
    else dropped.groups++;
  }
  const offsets = await Promise.all(groups.map((g) => s.fetchOffsets(g).catch(() => new Map<string, CommittedOffset>())));
  const ends = new Map<string, Promise<number | undefined>>();
  const pending: { group: string; topic: string; partition: number; committed: number; end: Promise<number | undefined> }[] = [];
  groups.forEach((group, i) => {
    for (const [key, committed] of offsets[i]!) {
      if (committed.offset < 0) continue;
      const colon = key.lastIndexOf(':');
      const tp = { topicId: key.slice(0, colon), partition: Number(key.slice(colon + 1)) };
      const topic = s.topicById(tp.topicId);
      if (topic === undefined) continue;
      if (pending.length >= limits.maxLagPartitions) {
        dropped.partitions++;
        continue;
      }
      let end = ends.get(key);
      if (end === undefined) {
        const led = s.ledHighWatermark(tp);
        end = led !== undefined ? Promise.resolve(led) : s.committedEndOffset(tp).catch(() => undefined);
        ends.set(key, end);
      }
      pending.push({ group, topic: topic.name, partition: tp.partition, committed: committed.offset, end });
    }
  });
  for (const p of pending) {
    const end = await p.end;
    if (end !== undefined) rows.push({ group: p.group, topic: p.topic, partition: p.partition, lag: Math.max(0, end - p.committed) });
  }
  return { rows, dropped };
}

/**
 * How long a scrape waits for the lag (the controller may be slow or away: its calls time
 * out only after controller.callTimeout). Beyond, the scrape goes on without lag series and
 * stratus_consumer_group_lag_dropped{what="timed_out"} counts it.
 */
export const LAG_SCRAPE_TIMEOUT_MS = 2000;

export function groupLagMetrics(
  registry: Registry,
  sources: () => GroupLagSources | undefined,
  limits: Pick<MetricsLimits, 'maxLagGroups' | 'maxLagPartitions'>,
  timeoutMs = LAG_SCRAPE_TIMEOUT_MS,
): void {
  // The lag gauge starts the computation when collected; the dropped gauge, registered (so
  // collected) after it, waits for the same one: both describe the same scrape.
  let latest: Promise<{ rows: LagRow[]; dropped: { groups: number; partitions: number } } | undefined> = Promise.resolve(undefined);
  let timedOut = 0;
  const within = <T>(work: Promise<T>): Promise<T | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        timedOut++;
        resolve(undefined);
      }, timeoutMs);
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  };
  new Gauge({
    name: 'stratus_consumer_group_lag',
    help: "Records a consumer group has yet to consume, by group, topic and partition: the partition's high watermark minus the group's committed offset, computed when scraped for the groups this broker coordinates (bounded by metrics.maxLagGroups and metrics.maxLagPartitions)",
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      this.reset();
      const s = sources();
      latest = s === undefined ? Promise.resolve(undefined) : within(computeGroupLag(s, limits));
      const result = await latest;
      for (const r of result?.rows ?? []) this.set({ group: r.group, topic: r.topic, partition: String(r.partition) }, r.lag);
    },
  });
  new Gauge({
    name: 'stratus_consumer_group_lag_dropped',
    help: `Lag series left out at a scrape: groups beyond metrics.maxLagGroups, partitions beyond metrics.maxLagPartitions; and scrapes since start whose lag took longer than ${LAG_SCRAPE_TIMEOUT_MS} ms and was left out (timed_out)`,
    labelNames: ['what'],
    registers: [registry],
    async collect() {
      const result = await latest;
      this.set({ what: 'groups' }, result?.dropped.groups ?? 0);
      this.set({ what: 'partitions' }, result?.dropped.partitions ?? 0);
      this.set({ what: 'timed_out' }, timedOut);
    },
  });
}
