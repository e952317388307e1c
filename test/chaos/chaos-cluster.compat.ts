// The short cluster chaos campaign inside `npm test` (the compatibility suite, which runs one
// file at a time and provisions MinIO, Redis, kcat and the Java programs first): 90 seconds
// of faults on a local cluster from a fixed seed whose schedule has one of each kind early
// on — Redis killed and restarted on its AOF, the active controller killed, brokers stopped
// (SIGTERM: they drain) and killed, some during an object-store outage, and plain outages —
// then the campaign's checks (cluster-campaign.ts, checks.ts). About 2 minutes in all.
// `npm run chaos -- --cluster --seed 31 --minutes 1.5` runs the same from the command line.
//
// Stratus only (it starts and kills its own cluster): skipped in the kafka and external
// modes of the compatibility suite.

import { describe, expect, it } from 'vitest';
import { targetMode } from '../compat/support/mode.ts';
import { runClusterCampaign, summarizeCluster } from './cluster-campaign.ts';

const SEED = 31;
const MINUTES = 1.5;

describe.skipIf(targetMode().kind !== 'stratus')('cluster chaos campaign (short, fixed seed; stratus mode only)', () => {
  it(`seed ${SEED}, ${MINUTES} min: every acknowledged record once and in order, committed offsets never lost or backwards`, async () => {
    const report = await runClusterCampaign({ seed: SEED, minutes: MINUTES, javaDeliveryTimeoutMs: 60_000, log: (line) => console.log(line) });
    const summary = summarizeCluster(report);
    console.log(summary);
    expect(report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`), summary).toEqual([]);
    expect(report.problems, summary).toEqual([]);
    expect(report.ok, summary).toBe(true);
    // The schedule ran as planned: the faults this seed was chosen for all happened.
    const k = report.counts.episodesByKind;
    expect(k['redis-restart'], 'Redis restarts').toBeGreaterThanOrEqual(2);
    expect(k['controller-kill'], 'controller SIGKILLs').toBeGreaterThanOrEqual(1);
    expect(k['broker-term'], 'broker SIGTERMs').toBeGreaterThanOrEqual(1);
    expect(k['broker-kill'] + k['broker-kill-in-outage'], 'broker SIGKILLs').toBeGreaterThanOrEqual(1);
    expect(k['store-outage'] + k['broker-kill-in-outage'], 'object-store outages').toBeGreaterThanOrEqual(1);
    expect(report.counts.recordsAckedTotal).toBeGreaterThan(5000);
    expect(report.counts.commitsAcked).toBeGreaterThan(100);
  }, 900_000);
});
