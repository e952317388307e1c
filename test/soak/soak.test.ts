// The soak's short variant (npm run soak is the long one; see test/soak/run.ts): the same
// driver against a real `stratus dev` for one minute. A minute is too short to judge
// flatness (retention, offset expiry and compaction have barely started), so this asserts
// what a minute can show: the churn happened, and once the clients stop, the process holds
// nothing of it — no connection and no extra file descriptor left, no topic or partition of
// the deleted topics in the index or open in the broker, the WAL trimmed back to its
// active segment once uploads caught up.

import { describe, expect, it } from 'vitest';
import { SHORT_PROFILE } from './lib/settings.ts';
import { runSoak } from './lib/soak.ts';

describe('soak (one minute)', () => {
  it('produce/consume with group churn and topic create/delete cycles leaves nothing behind once the clients stop', async () => {
    const log: string[] = [];
    const r = await runSoak({ durationMs: 60_000, seed: 20_261_206, profile: SHORT_PROFILE, log: (line) => log.push(line) });
    const context = `${log.join('\n')}\nclient errors: ${JSON.stringify(r.counters.errors)}\nprocess log: ${JSON.stringify(r.processLog)}`;
    expect(r.aborted, context).toBeUndefined();
    // The churn happened: topics came and went, members were replaced, groups came and left.
    expect(r.counters.cycles, context).toBeGreaterThanOrEqual(5);
    expect(r.counters.topicsDeleted, context).toBe(r.counters.cycles);
    expect(r.counters.memberChurns, context).toBeGreaterThanOrEqual(3);
    expect(r.counters.ephemeralGroups, context).toBeGreaterThanOrEqual(3);
    expect(r.counters.consumed, context).toBeGreaterThan(0);
    const errors = Object.values(r.counters.errors).reduce((n, e) => n + e.count, 0);
    expect(errors, context).toBeLessThanOrEqual(2);
    // Samples were taken throughout, with the metrics the long run judges.
    expect(r.samples.length, context).toBeGreaterThanOrEqual(15);
    for (const key of ['rss', 'heapAfterGc', 'openFds', 'walBytes', 'extents', 'objectsLive', 'committedOffsets', 'controllerGroups', 'coordinatorGroups']) {
      expect(Number.isFinite(r.samples[r.samples.length - 1]!.values[key]), `${key} sampled`).toBe(true);
    }
    // Once quiesced: no leak of connections, descriptors, partitions or WAL.
    expect(r.checks.length).toBeGreaterThan(0);
    for (const check of r.checks) expect({ check: check.name, ok: check.ok, detail: check.detail }, context).toMatchObject({ ok: true });
    expect(r.stopExitCode, context).toBe(0);
  }, 180_000);
});
