// The short chaos campaign inside `npm test` (the compatibility suite, which runs one file at
// a time and provisions MinIO's, kcat's and the Java programs' peers first): 72 seconds of
// faults from a fixed seed whose schedule has one of each main kind early on — a SIGKILL
// right after start, a SIGKILL during an outage, a SIGTERM, a plain outage and a SIGKILL
// while the store is slow — then the campaign's checks (see campaign.ts and checks.ts).
// `npm run chaos -- --seed 62 --minutes 1.2` runs the same thing from the command line;
// longer runs and other seeds: `npm run chaos -- --minutes 30`.
//
// Stratus only (it kills and restarts its own `stratus dev`): skipped in the kafka and
// external modes of the compatibility suite.

import { describe, expect, it } from 'vitest';
import { targetMode } from '../compat/support/mode.ts';
import { runCampaign, summarize } from './campaign.ts';

const SEED = 62;
const MINUTES = 1.2;

describe.skipIf(targetMode().kind !== 'stratus')('chaos campaign (short, fixed seed; stratus mode only)', () => {
  it(`seed ${SEED}, ${MINUTES} min: every acknowledged record once and in order, committed offsets never backwards`, async () => {
    // Its longest fault is 18 s: Java records may take 45 s (not 120) before they count as failed.
    const report = await runCampaign({ seed: SEED, minutes: MINUTES, javaDeliveryTimeoutMs: 45_000, log: (line) => console.log(line) });
    const summary = summarize(report);
    console.log(summary);
    const failed = report.checks.filter((c) => !c.ok);
    expect(failed.map((c) => `${c.name}: ${c.detail}`), summary).toEqual([]);
    expect(report.problems, summary).toEqual([]);
    expect(report.ok, summary).toBe(true);
    // The schedule ran as planned: the faults this seed was chosen for all happened.
    expect(report.counts.sigkills, 'SIGKILLs').toBeGreaterThanOrEqual(2);
    expect(report.counts.episodesByKind['kill-in-outage'], 'SIGKILL during an outage').toBeGreaterThanOrEqual(1);
    expect(report.counts.sigterms, 'SIGTERMs').toBeGreaterThanOrEqual(1);
    expect(report.counts.outages, 'outages').toBeGreaterThanOrEqual(2);
    expect(report.counts.slowPeriods, 'slow periods').toBeGreaterThanOrEqual(1);
    expect(report.counts.recordsAckedTotal).toBeGreaterThan(5000);
    expect(report.counts.commitsAcked).toBeGreaterThan(100);
  }, 600_000);
});
